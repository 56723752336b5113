package engine

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const logSrc = `
workflow scoring {
  on contact
  enroll when lifecyclestage == "lead"
  reenroll on change lifecyclestage
  set hs_lead_status = "new"
  if score > 10 { increment score by 5 }
  step pause: delay 1d
}`

func TestActionLogHasOneEntryPerStep(t *testing.T) {
	h := setup(t, logSrc)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead","score":20}}`)
	log, ok := h.e.Log("scoring")
	if !ok {
		t.Fatal("no log")
	}
	want := []LogEntry{
		{At: t0, Record: "contact/c1", Step: "1", Kind: "set", Outcome: "set", Why: `hs_lead_status: empty → "new"`},
		{At: t0, Record: "contact/c1", Step: "2", Kind: "if", Inputs: "score = 20", Outcome: "step", Why: "arm 1: score > 10 (score = 20)"},
		{At: t0, Record: "contact/c1", Step: "2.then.1", Kind: "increment", Inputs: "score = 20", Outcome: "set", Why: "score: 20 → 25"},
		{At: t0, Record: "contact/c1", Step: "pause", Kind: "delay", Outcome: "waiting", Why: "delay 24h0m0s until 2026-01-06T08:00:00Z"},
	}
	if diff := cmp.Diff(want, log.Entries); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if _, ok := h.e.Log("nope"); ok {
		t.Error("Log of an unknown workflow")
	}
}

func TestActionLogRetentionCompacts(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ret       Retention
		after     time.Duration // when the second enrollment comes
		compacted int
	}{
		{"90 days keeps 89 days", Retain90Days, 89 * 24 * time.Hour, 0},
		{"90 days drops 91 days", Retain90Days, 91 * 24 * time.Hour, 4},
		{"6 months keeps 5 months", Retain6Months, 150 * 24 * time.Hour, 0},
		{"6 months drops 7 months", Retain6Months, 215 * 24 * time.Hour, 4},
		{"2 years drops 25 months", Retain2Years, 760 * 24 * time.Hour, 4},
		{"any duration", RetainFor(36 * time.Hour), 48 * time.Hour, 4},
		{"zero keeps everything", Retention{}, 800 * 24 * time.Hour, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := setup(t, logSrc, func(o *Options) { o.LogRetention = tc.ret })
			h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead","score":20}}`)
			h.advance(tc.after)
			h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"subscriber"}}
{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
			log, _ := h.e.Log("scoring")
			// 4 entries on day 0, the resumed delay's end (no step), then 4 more.
			if got := log.Compacted.Entries; got != tc.compacted {
				t.Errorf("compacted %d entries, want %d", got, tc.compacted)
			}
			if got := len(log.Entries); got != 8-tc.compacted {
				t.Errorf("kept %d entries, want %d", got, 8-tc.compacted)
			}
			if tc.compacted > 0 {
				if log.Compacted.ByStep["pause: waiting"] != 1 || !log.Compacted.Oldest.Equal(t0) {
					t.Errorf("summary = %+v", log.Compacted)
				}
			}
		})
	}
}

func TestRetentionString(t *testing.T) {
	for r, want := range map[Retention]string{
		Retain90Days: "2160h0m0s", Retain6Months: "6 months", Retain2Years: "2 years",
		{}: "forever", RetainFor(-time.Hour): "forever",
	} {
		if got := r.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", r, got, want)
		}
	}
}
