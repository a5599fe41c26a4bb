package dash

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
)

// Point is one (step, value) sample of a curve.
type Point [2]float64

// Metrics is a run's metrics.jsonl as curves (GET /api/metrics).
type Metrics struct {
	XKey   string             `json:"x"`      // field used as the x axis (gstep, env_steps, ...)
	Series map[string][]Point `json:"series"` // "stage/metric" (or "metric" without a stage) -> points
	Evals  []json.RawMessage  `json:"evals"`  // the "eval" objects of eval lines, with their gstep
	Lines  int                `json:"lines"`
	Bad    int                `json:"bad_lines"` // lines that were not JSON objects
}

// metricsCache parses each metrics file once and then only the bytes
// appended since, so live runs cost little to poll.
type metricsCache struct {
	mu    sync.Mutex
	files map[string]*parsed
}

type parsed struct {
	offset int64 // bytes consumed (complete lines only)
	m      Metrics
}

// maxPoints bounds each curve sent to the page; longer curves are thinned
// to every n-th point (the last point always kept).
const maxPoints = 2000

// get returns the curves of path, parsing what was appended since the
// last call.
func (c *metricsCache) get(path string) (*Metrics, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.files == nil {
		c.files = map[string]*parsed{}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	p := c.files[path]
	if p == nil || st.Size() < p.offset { // new or rewritten (resume truncates)
		p = &parsed{m: Metrics{Series: map[string][]Point{}}}
		c.files[path] = p
	}
	if st.Size() > p.offset {
		if _, err := f.Seek(p.offset, io.SeekStart); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		n, err := parseMetrics(io.LimitReader(f, st.Size()-p.offset), &p.m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		p.offset += n
	}
	out := p.m
	out.Series = make(map[string][]Point, len(p.m.Series))
	for k, pts := range p.m.Series {
		out.Series[k] = thin(pts, maxPoints)
	}
	return &out, nil
}

// parseMetrics adds the complete lines of r to m and returns the bytes
// consumed (a trailing partial line is left for the next call).
func parseMetrics(r io.Reader, m *Metrics) (int64, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var n int64
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return n, nil // partial line (or nothing) left
		}
		if err != nil {
			return n, err
		}
		n += int64(len(line))
		addLine(bytes.TrimSpace(line), m)
	}
}

func addLine(line []byte, m *Metrics) {
	if len(line) == 0 {
		return
	}
	var obj map[string]any
	if json.Unmarshal(line, &obj) != nil || obj == nil {
		m.Bad++
		return
	}
	m.Lines++
	key, x, ok := stepOf(obj)
	if !ok {
		x = float64(m.Lines)
	} else if m.XKey == "" {
		m.XKey = key
	}
	stage, _ := obj["stage"].(string)
	if ev, ok := obj["eval"].(map[string]any); ok {
		if _, has := ev["gstep"]; !has {
			ev["gstep"] = x
		}
		if b, err := json.Marshal(ev); err == nil {
			m.Evals = append(m.Evals, b)
		}
	}
	for k, v := range obj {
		f, ok := v.(float64)
		if !ok || k == key {
			continue
		}
		name := k
		if stage != "" {
			name = stage + "/" + k
		}
		m.Series[name] = append(m.Series[name], Point{x, f})
	}
}

// thin keeps at most n points, evenly spaced, always the last.
func thin(pts []Point, n int) []Point {
	if len(pts) <= n {
		return pts
	}
	stride := (len(pts) + n - 1) / n
	out := make([]Point, 0, n+1)
	for i := 0; i < len(pts); i += stride {
		out = append(out, pts[i])
	}
	if out[len(out)-1] != pts[len(pts)-1] {
		out = append(out, pts[len(pts)-1])
	}
	return out
}
