package jscode

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestOutputsAndRecord(t *testing.T) {
	res, err := Runner{}.Run(context.Background(), `console.log("seats", record.seats); return { tier: record.seats > 50 ? "large" : "small", score: 1 };`,
		map[string]any{"seats": 80.0}, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outputs["tier"] != "large" || res.Outputs["score"] != 1.0 {
		t.Errorf("outputs = %v", res.Outputs)
	}
	if len(res.Logs) != 1 || res.Logs[0] != "seats 80" {
		t.Errorf("logs = %q", res.Logs)
	}
}

func TestTimeout(t *testing.T) {
	start := time.Now()
	_, err := Runner{}.Run(context.Background(), `while (true) {}`, nil, nil, 100*time.Millisecond)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "after 100ms") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stopped after %s", d)
	}
}

func TestSecretsRedacted(t *testing.T) {
	sec := map[string]string{"API_KEY": "sk-very-secret-123"}
	res, err := Runner{}.Run(context.Background(), `console.log("key is " + secrets.API_KEY); throw new Error("bad key " + secrets.API_KEY);`, nil, sec, 0)
	if err == nil || strings.Contains(err.Error(), "sk-very-secret-123") || !strings.Contains(err.Error(), "[secret]") {
		t.Errorf("err = %v", err)
	}
	if strings.Join(res.Logs, "\n") != "key is [secret]" {
		t.Errorf("logs = %q", res.Logs)
	}
}

func TestSandboxAndBounds(t *testing.T) {
	for src, want := range map[string]string{
		`return { x: typeof require + typeof fetch + typeof process + typeof setTimeout };`: "",
		`function f(n) { return f(n + 1); } return { x: f(0) };`:                            "call stack",
		`return { x: "a".repeat(100000) };`:                                                 "more than the limit",
		`return 5;`:                                                                         "must return an object",
		`return undefined_name.x;`:                                                          "uncaught ReferenceError",
	} {
		res, err := Runner{}.Run(context.Background(), src, nil, nil, time.Second)
		switch {
		case want == "" && (err != nil || res.Outputs["x"] != "undefinedundefinedundefinedundefined"):
			t.Errorf("%s: %v, %v", src, res.Outputs, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: err %v, want %q", src, err, want)
		}
	}
}
