package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are a node's Prometheus metrics, in a registry of their own.
type Metrics struct {
	Registry *prometheus.Registry
	ingested *prometheus.CounterVec   // changes by outcome
	queue    prometheus.Gauge         // requests waiting for the loop
	apply    prometheus.Histogram     // seconds to apply one group
	commit   prometheus.Histogram     // seconds to commit one group
	lateness prometheus.Histogram     // seconds a timer fired after it was due
	reloads  *prometheus.CounterVec   // reloads by result
	requests *prometheus.CounterVec   // HTTP requests by route and code
	latency  *prometheus.HistogramVec // HTTP request seconds by route
}

// NewMetrics returns a fresh set of metrics with the Go runtime's.
func NewMetrics() *Metrics {
	buckets := prometheus.ExponentialBuckets(0.0001, 2, 16)
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wf_ingested_changes_total",
			Help: "Changes ingested, by status (applied, duplicate, error)."}, []string{"status"}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{Name: "wf_queue_depth",
			Help: "Requests waiting for the node's loop."}),
		apply: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "wf_step_apply_seconds",
			Help: "Time to apply one group of requests and the steps they ran.", Buckets: buckets}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "wf_commit_seconds",
			Help: "Time to commit one group to the store, fsync included.", Buckets: buckets}),
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "wf_timer_lateness_seconds",
			Help: "How long after its due time a timer fired.", Buckets: buckets}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wf_reloads_total",
			Help: "Program reloads, by result (ok, failed)."}, []string{"result"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wf_http_requests_total",
			Help: "HTTP requests, by route and status code."}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "wf_http_request_seconds",
			Help: "HTTP request time, by route.", Buckets: buckets}, []string{"route"}),
	}
	m.Registry.MustRegister(m.ingested, m.queue, m.apply, m.commit, m.lateness, m.reloads, m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Ingested counts one change by its outcome (applied, accepted,
// duplicate, error).
func (m *Metrics) Ingested(status string) { m.ingested.WithLabelValues(status).Inc() }

// ObserveCommit records how long one commit took.
func (m *Metrics) ObserveCommit(d time.Duration) { m.commit.Observe(d.Seconds()) }
