package spell

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"score", "score", 0},
		{"scroe", "score", 1}, // a transposition is one edit
		{"scor", "score", 1},
		{"scores", "score", 1},
		{"scare", "score", 1},
		{"ca", "abc", 3},
		{"kitten", "sitting", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNearest(t *testing.T) {
	props := []string{"score", "email", "country", "createdate"}
	for name, want := range map[string]string{"scroe": "score", "emial": "email", "contry": "country", "xyz": "", "score": ""} {
		if got := Nearest(name, props); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", name, got, want)
		}
	}
}
