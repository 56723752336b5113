package server

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

// The API's status codes for a backend's errors: retryable ones are 503,
// what a backend does not do is 501.
func TestErrCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{fmt.Errorf("cluster: accepting changes: %w: %w", ErrUnavailable, errors.New("connection refused")), http.StatusServiceUnavailable},
		{ErrStopped, http.StatusServiceUnavailable},
		{fmt.Errorf("incoming webhooks: %w in cluster mode yet", ErrUnsupported), http.StatusNotImplemented},
		{errors.New("no workflow x"), http.StatusNotFound},
		{errors.New("workflow w is on contact, not deal"), http.StatusBadRequest},
	} {
		if got := errCode(c.err); got != c.want {
			t.Errorf("errCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}
