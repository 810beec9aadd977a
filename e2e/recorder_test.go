//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"net/http"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

// recorder is an HTTP proxy that forwards nothing: it answers every request
// with 502 and remembers where the request was going. Set as HTTP_PROXY and
// HTTPS_PROXY, it catches any connection a process tries to make beyond
// loopback, which Go's proxy rules always send direct.
type recorder struct {
	mu      sync.Mutex
	targets []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.targets = append(r.targets, req.Method+" "+req.Host)
	r.mu.Unlock()
	http.Error(w, "the e2e recorder forwards nothing", http.StatusBadGateway)
}

// cmdRecorder: "recorder start" starts a recorder and points HTTP_PROXY and
// HTTPS_PROXY of later commands at it; "recorder show" prints each recorded
// target, one a line.
func cmdRecorder(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: recorder start|show")
	}
	switch args[0] {
	case "start":
		l, err := net.Listen("tcp", "127.0.0.1:0")
		ts.Check(err)
		rec := &recorder{}
		srv := &http.Server{Handler: rec}
		go srv.Serve(l)
		ts.Defer(func() { srv.Close() })
		recorders.Store(ts, rec)
		url := "http://" + l.Addr().String()
		for _, name := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
			ts.Setenv(name, url)
		}
		ts.Setenv("NO_PROXY", "")
		ts.Setenv("no_proxy", "")
	case "show":
		v, ok := recorders.Load(ts)
		if !ok {
			ts.Fatalf("recorder show before recorder start")
		}
		rec := v.(*recorder)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		// Stdout is called even with nothing to print, so that "stdout"
		// checks this command's output and not an earlier one's.
		w := ts.Stdout()
		for _, target := range rec.targets {
			fmt.Fprintln(w, target)
		}
	default:
		ts.Fatalf("usage: recorder start|show")
	}
}

var recorders sync.Map
