package dash

import (
	"bufio"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/autodidact-rl/autodidact/checkpoint"
	"github.com/autodidact-rl/autodidact/control"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

func get(t *testing.T, h http.Handler, method, url string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, url, nil))
	return w
}

func getJSON(t *testing.T, h http.Handler, url string, v any) {
	t.Helper()
	w := get(t, h, "GET", url)
	if w.Code != 200 {
		t.Fatalf("GET %s: %d %s", url, w.Code, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func id(name string) string { return filepath.Base(fixtureRoot) + "/" + name }

func TestRunList(t *testing.T) {
	var runs []struct {
		Run
		Summary map[string]any `json:"summary"`
	}
	getJSON(t, New([]string{fixtureRoot}), "/api/runs", &runs)
	want := []struct{ id, kind, recipe, status, compare string }{
		{"cmp/a", KindLM, "grpo", StatusFinished, "cmp"},
		{"cmp/b", KindLM, "grpo", StatusFinished, "cmp"},
		{"ctl-drv", KindControl, "ppo/Driving-v0", StatusFinished, ""},
		{"ctl-ppo", KindControl, "ppo/CartPole-v1", StatusFinished, ""},
		{"dead", KindLM, "", StatusFailed, ""},
		{"episodes", KindLM, "grpo", StatusRunning, ""},
		{"live", KindLM, "", StatusRunning, ""},
		{"lm-grpo", KindLM, "grpo", StatusFinished, ""},
	}
	if len(runs) != len(want) {
		t.Fatalf("got %d runs, want %d: %+v", len(runs), len(want), runs)
	}
	for i, w := range want {
		r := runs[i]
		cmp := ""
		if w.compare != "" {
			cmp = id(w.compare)
		}
		if r.ID != id(w.id) || r.Kind != w.kind || r.Recipe != w.recipe || r.Status != w.status || r.Compare != cmp {
			t.Errorf("run %d = %s %s %q %s compare %q; want %s %s %q %s compare %q", i, r.ID, r.Kind, r.Recipe, r.Status, r.Compare, id(w.id), w.kind, w.recipe, w.status, cmp)
		}
	}
	lm := runs[7]
	if _, ok := lm.Summary["final_pass@1"].(float64); !ok || lm.WallSeconds <= 0 || !lm.HasSamples || lm.LastStage != "eval" {
		t.Errorf("lm-grpo row lacks summary figures, wall time, samples or last stage: %+v", lm)
	}
	if ctl := runs[3]; ctl.Summary["final_return"] == nil || !ctl.HasPolicy || ctl.LastStep != 2048 {
		t.Errorf("ctl-ppo row: %+v", ctl)
	}
	if live := runs[6]; live.LastStage != "pretrain" || live.LastStep != 2 {
		t.Errorf("live row: last %q %v, want pretrain 2", live.LastStage, live.LastStep)
	}
}

// TestScanRootIsRun: a run directory given directly is listed as itself.
func TestScanRootIsRun(t *testing.T) {
	runs := Scan([]string{filepath.Join(fixtureRoot, "lm-grpo"), filepath.Join(fixtureRoot, "cmp", "a")})
	if len(runs) != 2 || runs[0].ID != "a" || runs[1].ID != "lm-grpo" {
		t.Fatalf("runs: %+v", runs)
	}
}

// countStage counts lines of a stage carrying a numeric field, read
// independently of the package's parser.
func countStage(t *testing.T, path, stage, field string) (n int, last float64) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		json.Unmarshal(sc.Bytes(), &m)
		if v, ok := m[field].(float64); ok && m["stage"] == stage {
			n, last = n+1, v
		}
	}
	return n, last
}

func TestMetrics(t *testing.T) {
	h := New([]string{fixtureRoot})
	var m Metrics
	getJSON(t, h, "/api/metrics?run="+id("lm-grpo"), &m)
	for _, c := range []struct{ stage, field string }{{"pretrain", "loss"}, {"rl", "reward"}, {"rl", "entropy"}} {
		n, last := countStage(t, filepath.Join(fixtureRoot, "lm-grpo", "metrics.jsonl"), c.stage, c.field)
		pts := m.Series[c.stage+"/"+c.field]
		if n == 0 || len(pts) != n || pts[n-1][1] != last {
			t.Errorf("%s/%s: %d points ending %v, file has %d ending %v", c.stage, c.field, len(pts), pts, n, last)
		}
		for i := 1; i < len(pts); i++ {
			if pts[i][0] <= pts[i-1][0] {
				t.Errorf("%s/%s: steps not increasing at %d: %v", c.stage, c.field, i, pts[i-1:i+1])
			}
		}
	}
	if m.XKey != "gstep" || len(m.Evals) < 2 {
		t.Fatalf("x %q, %d evals", m.XKey, len(m.Evals))
	}
	var ev struct {
		Curve []float64 `json:"pass_curve"`
		GStep float64   `json:"gstep"`
	}
	json.Unmarshal(m.Evals[len(m.Evals)-1], &ev)
	if len(ev.Curve) != 4 || ev.GStep == 0 {
		t.Errorf("last eval: %+v, want a 4-point pass curve (eval.samples=4) and a gstep", ev)
	}
	var cm Metrics
	getJSON(t, h, "/api/metrics?run="+id("ctl-ppo"), &cm)
	if cm.XKey != "env_steps" || len(cm.Series["episode_return"]) != 4 { // 2048 steps / (4 envs * 128)
		t.Errorf("control curves: x %q, %d returns", cm.XKey, len(cm.Series["episode_return"]))
	}
}

// TestMetricsLive appends to a metrics file as a running run does: new
// complete lines appear, a partial line waits, a rewrite starts over.
func TestMetricsLive(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "metrics.jsonl")
	write := func(s string, appendTo bool) {
		flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if appendTo {
			flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(p, flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, s)
		f.Close()
	}
	var c metricsCache
	steps := []struct {
		write  string
		append bool
		want   []Point
		bad    int
	}{
		{`{"stage":"rl","gstep":1,"kl":0.5}` + "\n", false, []Point{{1, 0.5}}, 0},
		{`{"stage":"rl","gstep":2,"kl":0.25}` + "\n" + `{"stage":"rl","gs`, true, []Point{{1, 0.5}, {2, 0.25}}, 0},
		{`tep":3,"kl":0.125}` + "\nnot json\n", true, []Point{{1, 0.5}, {2, 0.25}, {3, 0.125}}, 1},
		{`{"stage":"rl","gstep":9,"kl":1}` + "\n", false, []Point{{9, 1}}, 0},
	}
	for i, s := range steps {
		write(s.write, s.append)
		m, err := c.get(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Series["rl/kl"]; !slices.Equal(got, s.want) || m.Bad != s.bad {
			t.Errorf("step %d: %v (bad %d), want %v (bad %d)", i, got, m.Bad, s.want, s.bad)
		}
	}
}

func TestThin(t *testing.T) {
	var pts []Point
	for i := range 10001 {
		pts = append(pts, Point{float64(i), float64(i)})
	}
	got := thin(pts, 2000)
	if len(got) > 2001 || got[0] != pts[0] || got[len(got)-1] != pts[10000] {
		t.Fatalf("thin: %d points, first %v last %v", len(got), got[0], got[len(got)-1])
	}
}

func TestSamples(t *testing.T) {
	h := New([]string{fixtureRoot})
	var eps Episodes
	getJSON(t, h, "/api/samples?run="+id("episodes"), &eps)
	if eps.Total != 3 || len(eps.Episodes) != 3 || len(eps.Errors) != 0 {
		t.Fatalf("episodes: total %d, %d read, errors %v", eps.Total, len(eps.Episodes), eps.Errors)
	}
	e0 := eps.Episodes[0]
	roles := []string{}
	for _, s := range e0.Segments {
		roles = append(roles, s.Role)
	}
	pol := e0.Segments[1]
	if !slices.Equal(roles, []string{"prompt", "policy", "observation", "tool"}) || e0.Segments[3].Source != "calc" ||
		!slices.Equal(pol.Tokens, []string{"4", "6"}) || !slices.Equal(pol.Logprobs, []float64{-0.1, -2.3}) ||
		len(e0.Verdicts) != 1 || e0.Verdicts[0].Reason != "equal" || *e0.Correct != true || e0.GStep != 1012 {
		t.Errorf("episode 0: %+v", e0)
	}
	if e0.Segments[3].Tokens != nil {
		t.Errorf("a segment without ids has tokens %v", e0.Segments[3].Tokens)
	}
	old := eps.Episodes[2]
	if len(old.Segments) != 2 || old.Segments[0].Text != "1+1\n" || old.Segments[1].Role != "policy" || !old.Segments[1].Trainable || *old.Advantage != 0.5 {
		t.Errorf("old-format line: %+v", old)
	}
	var page Episodes
	getJSON(t, h, "/api/samples?offset=1&limit=1&run="+id("episodes"), &page)
	if len(page.Episodes) != 1 || page.Episodes[0].Line != 1 || page.Episodes[0].Segments[0].Role != "proposer" {
		t.Errorf("page offset=1 limit=1: %+v", page)
	}
	getJSON(t, h, "/api/samples?limit=2&run="+id("episodes"), &page) // the last two
	if len(page.Episodes) != 2 || page.Offset != 1 {
		t.Errorf("last page: offset %d, %d episodes", page.Offset, len(page.Episodes))
	}
	// The real run's samples (old format) read without errors.
	getJSON(t, h, "/api/samples?run="+id("lm-grpo"), &page)
	if len(page.Episodes) == 0 || len(page.Errors) != 0 || page.Episodes[0].Segments[1].Role != "policy" {
		t.Errorf("lm-grpo samples: %d episodes, errors %v", len(page.Episodes), page.Errors)
	}
}

// TestBadEpisodes: malformed lines are reported with their line number,
// never a panic, and the good lines around them still load.
func TestBadEpisodes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "samples.jsonl")
	lines := []string{
		`{"gstep":1,"segments":[{"role":"policy","ids":[1,2],"logprobs":[-1]}]}`, // arrays disagree
		`{"gstep":`, // truncated
		`[1,2]`,
		`{"gstep":2,"segments":[{"role":"policy","ids":[99999,-5],"logprobs":[-1,-2]}]}`, // ids outside the vocabulary
		strings.Repeat(" ", maxLine+10) + "{}",
	}
	os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	tok := mustTok(t)
	eps, err := readEpisodes(p, 0, 10, tok)
	if err != nil {
		t.Fatal(err)
	}
	if len(eps.Episodes) != 1 || len(eps.Errors) != 4 || !strings.Contains(eps.Errors[0], ":1: segment 0 (policy): 1 logprobs for 2 ids") ||
		!strings.Contains(eps.Errors[3], ":5: line longer") {
		t.Fatalf("episodes %+v errors %q", eps.Episodes, eps.Errors)
	}
	if got := eps.Episodes[0].Segments[0].Tokens; len(got) != 2 || !strings.Contains(got[0], "99999") {
		t.Errorf("unknown ids decode as %q", got)
	}
}

func TestRollout(t *testing.T) {
	h := New([]string{fixtureRoot})
	var ro Rollout
	getJSON(t, h, "/api/rollout?seed=0&run="+id("ctl-ppo"), &ro)
	var sum float64
	for _, r := range ro.Rewards {
		sum += r
	}
	if ro.Env != "CartPole-v1" || len(ro.Obs) != len(ro.Actions)+1 || len(ro.Actions) != len(ro.Rewards) || sum != ro.Return {
		t.Fatalf("rollout: env %s, %d obs, %d actions, %d rewards, return %v (sum %v)", ro.Env, len(ro.Obs), len(ro.Actions), len(ro.Rewards), ro.Return, sum)
	}
	// Parity: the greedy return equals control's own evaluation of seed 0.
	pol, envName, err := control.LoadPolicy(filepath.Join(fixtureRoot, "ctl-ppo", "policy.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	rets, err := pol.Evaluate(envName, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rets[0] != ro.Return {
		t.Errorf("rollout return %v, control.Evaluate %v", ro.Return, rets[0])
	}
	if w := get(t, h, "GET", "/api/rollout?run="+id("lm-grpo")); w.Code != 404 {
		t.Errorf("rollout of an LM run: %d", w.Code)
	}
}

func TestDrivingRollout(t *testing.T) {
	dir := filepath.Join(fixtureRoot, "ctl-drv")
	ro, err := rollout(filepath.Join(dir, "policy.safetensors"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(ro.Scenes) != len(ro.Obs) || len(ro.Scenes[0].Route) != 41 || ro.Scenes[1].Route != nil || ro.Info["route_completion"] == "" {
		t.Fatalf("driving rollout: %d scenes for %d obs, route %d points", len(ro.Scenes), len(ro.Obs), len(ro.Scenes[0].Route))
	}
	// The car moves as the speeds say: each step covers at most 8 m/s * 0.1 s.
	for i := 1; i < len(ro.Scenes); i++ {
		a, b := ro.Scenes[i-1], ro.Scenes[i]
		if d := math.Hypot(b.X-a.X, b.Y-a.Y); d > 0.8+1e-9 {
			t.Fatalf("step %d: car jumped %.3f m", i, d)
		}
	}
}

// TestOnlyRunFiles: only regular files inside a listed run directory are
// served; traversal, absolute paths, symbolic links out and unknown runs
// all get 404.
func TestOnlyRunFiles(t *testing.T) {
	root := t.TempDir()
	runDir := filepath.Join(root, "r")
	os.MkdirAll(filepath.Join(runDir, "checkpoints"), 0o755)
	os.WriteFile(filepath.Join(runDir, "metrics.jsonl"), []byte(`{"gstep":1}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(root, "secret.txt"), []byte("secret"), 0o644)
	os.Symlink(filepath.Join(root, "secret.txt"), filepath.Join(runDir, "link.txt"))
	os.Symlink(root, filepath.Join(runDir, "up"))
	h := New([]string{root})
	cases := []struct {
		url  string
		code int
	}{
		{"/api/file?run=" + filepath.Base(root) + "/r&path=metrics.jsonl", 200},
		{"/api/file?run=" + filepath.Base(root) + "/r&path=../secret.txt", 404},
		{"/api/file?run=" + filepath.Base(root) + "/r&path=checkpoints/../../secret.txt", 404},
		{"/api/file?run=" + filepath.Base(root) + "/r&path=..%2fsecret.txt", 404},
		{"/api/file?run=" + filepath.Base(root) + "/r&path=" + filepath.Join(root, "secret.txt"), 404},
		{"/api/file?run=" + filepath.Base(root) + "/r&path=link.txt", 404},
		{"/api/file?run=" + filepath.Base(root) + "/r&path=up/secret.txt", 404},
		{"/api/file?run=" + filepath.Base(root) + "/r&path=checkpoints", 404},
		{"/api/file?run=" + filepath.Base(root) + "/r&path=..\\secret.txt", 404},
		{"/api/file?run=" + filepath.Base(root) + "&path=secret.txt", 404},
		{"/api/file?run=../" + filepath.Base(root) + "&path=secret.txt", 404},
		{"/api/metrics?run=" + filepath.Base(root) + "/..", 404},
		{"/api/samples?run=/etc", 404},
		{"/../../../etc/passwd", 404},
		{"/%2e%2e/%2e%2e/etc/passwd", 404},
		{"/assets/../fixture_test.go", 404},
		{"/", 200},
		{"/app.js", 200},
	}
	for _, c := range cases {
		w := get(t, h, "GET", c.url)
		if w.Code != c.code || strings.Contains(w.Body.String(), "secret") {
			t.Errorf("GET %s: %d %q, want %d", c.url, w.Code, w.Body.String(), c.code)
		}
	}
}

// TestReadOnly: every route refuses every method but GET and HEAD.
func TestReadOnly(t *testing.T) {
	h := New([]string{fixtureRoot})
	for _, url := range []string{"/", "/api/runs", "/api/metrics?run=" + id("lm-grpo"), "/api/samples?run=" + id("episodes"), "/api/rollout?run=" + id("ctl-ppo"), "/api/file?run=" + id("lm-grpo") + "&path=summary.json"} {
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			if w := get(t, h, m, url); w.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d", m, url, w.Code)
			}
		}
		if w := get(t, h, "HEAD", url); w.Code != 200 {
			t.Errorf("HEAD %s: %d", url, w.Code)
		}
	}
}

func TestDefaultAddrIsLoopback(t *testing.T) {
	if !strings.HasPrefix(DefaultAddr, "127.0.0.1:") {
		t.Fatalf("DefaultAddr %s is not loopback", DefaultAddr)
	}
}

func mustTok(t *testing.T) *tokenizer.Char {
	t.Helper()
	c, err := tokenizer.LoadChar(filepath.Join(fixtureRoot, "lm-grpo", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBadPolicy: damaged or foreign policy files give errors naming the
// problem, never a panic or a huge allocation.
func TestBadPolicy(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int, meta map[string]string) string {
		p := filepath.Join(dir, name)
		if err := checkpoint.WriteSafetensors(p, []checkpoint.Tensor{{Name: "actor.w0", Shape: []int{n}, Data: make([]float32, n)}}, meta); err != nil {
			t.Fatal(err)
		}
		return p
	}
	garbage := filepath.Join(dir, "garbage.safetensors")
	os.WriteFile(garbage, []byte("not a safetensors file at all"), 0o644)
	cases := []struct{ path, want string }{
		{garbage, "garbage.safetensors"},
		{write("huge.safetensors", 8, map[string]string{"env": "CartPole-v1", "sizes": "[1000000000, 2]", "activation": "tanh"}), "outside"},
		{write("short.safetensors", 8, map[string]string{"env": "CartPole-v1", "sizes": "[4, 2]", "activation": "tanh"}), "need 10 weights"},
		{write("foreign.safetensors", 32, map[string]string{"env": "CartPole-v1", "sizes": "[15, 2]", "activation": "tanh"}), "do not fit CartPole-v1"},
		{write("env.safetensors", 32, map[string]string{"env": "Nope-v0", "sizes": "[15, 2]", "activation": "tanh"}), "unknown environment"},
		{write("nosizes.safetensors", 32, map[string]string{"env": "CartPole-v1"}), "metadata sizes"},
	}
	for _, c := range cases {
		_, err := rollout(c.path, 0)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", filepath.Base(c.path), err, c.want)
		}
	}
}
