package dash

import (
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/autodidact-rl/autodidact/tokenizer"
)

//go:embed assets
var assets embed.FS

// DefaultAddr is the loopback address the dashboard listens on by default.
const DefaultAddr = "127.0.0.1:8080"

// Server is the dashboard's HTTP handler over a fixed set of root
// directories. It only reads: every route answers GET and HEAD, anything
// else gets 405, and no file outside a discovered run directory is ever
// opened.
type Server struct {
	roots   []string
	mux     *http.ServeMux
	metrics metricsCache

	mu      sync.Mutex
	runs    []*Run
	scanned time.Time
}

// scanTTL is how long a scan of the roots is reused for run look-ups.
const scanTTL = 2 * time.Second

// New returns a dashboard over roots (run directories or their parents).
func New(roots []string) *Server {
	s := &Server{roots: append([]string(nil), roots...), mux: http.NewServeMux()}
	static, _ := fs.Sub(assets, "assets")
	s.mux.Handle("GET /", http.FileServerFS(static))
	s.mux.HandleFunc("GET /api/runs", s.handleRuns)
	s.mux.HandleFunc("GET /api/metrics", s.handleMetrics)
	s.mux.HandleFunc("GET /api/samples", s.handleSamples)
	s.mux.HandleFunc("GET /api/rollout", s.handleRollout)
	s.mux.HandleFunc("GET /api/file", s.handleFile)
	return s
}

// ServeHTTP refuses every method but GET and HEAD, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "read-only dashboard", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if slices.Contains(strings.Split(r.URL.Path, "/"), "..") { // traversal: 404, not the mux's redirect
		http.NotFound(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Runs scans the roots now and returns the run list.
func (s *Server) Runs() []*Run {
	runs := Scan(s.roots)
	s.mu.Lock()
	s.runs, s.scanned = runs, time.Now()
	s.mu.Unlock()
	return runs
}

// lookup finds a run by ID in a recent scan; IDs are never joined to paths.
func (s *Server) lookup(id string) *Run {
	s.mu.Lock()
	runs, fresh := s.runs, time.Since(s.scanned) < scanTTL
	s.mu.Unlock()
	if !fresh {
		runs = s.Runs()
	}
	for _, r := range runs {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (s *Server) handleRuns(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.Runs())
}

// runFor returns the run named by the "run" query parameter or writes 404.
func (s *Server) runFor(w http.ResponseWriter, r *http.Request) *Run {
	run := s.lookup(r.URL.Query().Get("run"))
	if run == nil {
		http.Error(w, "no such run", http.StatusNotFound)
	}
	return run
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	run := s.runFor(w, r)
	if run == nil {
		return
	}
	m, err := s.metrics.get(filepath.Join(run.dir, "metrics.jsonl"))
	if errors.Is(err, fs.ErrNotExist) {
		m = &Metrics{Series: map[string][]Point{}}
	} else if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, m)
}

func (s *Server) handleSamples(w http.ResponseWriter, r *http.Request) {
	run := s.runFor(w, r)
	if run == nil {
		return
	}
	q := r.URL.Query()
	limit := intParam(q.Get("limit"), 50, 1, 500)
	offset := intParam(q.Get("offset"), -limit, -1<<30, 1<<30)
	var tok tokenizer.Tokenizer
	if c, err := tokenizer.Load(filepath.Join(run.dir, "tokenizer.json")); err == nil {
		tok = c
	}
	eps, err := readEpisodes(filepath.Join(run.dir, "samples.jsonl"), offset, limit, tok)
	if errors.Is(err, fs.ErrNotExist) {
		eps = &Episodes{Episodes: []Episode{}}
	} else if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, eps)
}

func (s *Server) handleRollout(w http.ResponseWriter, r *http.Request) {
	run := s.runFor(w, r)
	if run == nil {
		return
	}
	if !run.HasPolicy {
		http.Error(w, "run has no policy.safetensors", http.StatusNotFound)
		return
	}
	seed := uint64(intParam(r.URL.Query().Get("seed"), 0, 0, 1<<30))
	ro, err := rollout(filepath.Join(run.dir, "policy.safetensors"), seed)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	writeJSON(w, ro)
}

// handleFile serves one regular file of a run directory (?run=ID&path=rel).
// The path is opened through os.Root, so ".." and symbolic links that
// leave the run directory fail: every failure is a 404.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	run := s.lookup(r.URL.Query().Get("run"))
	rel := r.URL.Query().Get("path")
	if run == nil || rel == "" || path.IsAbs(rel) || strings.Contains(rel, "\\") || !fs.ValidPath(rel) {
		http.NotFound(w, r)
		return
	}
	root, err := os.OpenRoot(run.dir)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", contentType(rel))
	http.ServeContent(w, r, "", st.ModTime(), f)
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".json":
		return "application/json"
	case ".jsonl", ".yaml", ".txt", ".md":
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}

func intParam(s string, def, lo, hi int) int {
	v, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return min(max(v, lo), hi)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, string(b))
}
