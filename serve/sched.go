package serve

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/autodidact-rl/autodidact/lm"
	"github.com/autodidact-rl/autodidact/tokenizer"
)

// sampling is the part of a request an lm.Engine fixes for all its jobs
// (temperature and truncation): requests with equal settings share an
// engine and are batched together.
type sampling struct {
	Temp, TopP, MinP float32
	TopK             int
}

// options returns the engine's SampleOptions.
func (s sampling) options() lm.SampleOptions {
	return lm.SampleOptions{Temperature: s.Temp, TopP: s.TopP, TopK: s.TopK, MinP: s.MinP, MaxNew: 1}
}

// request is one HTTP request's generation work: one choice per prompt and
// sample (n). The handler fills it and hands it to the scheduler; the
// scheduler publishes progress into snaps and pokes notify.
type request struct {
	samp    sampling
	seed    *uint64 // non-nil: the request gets its own engine seeded with it
	choices []*choice
	stops   []string // stop strings (text)
	stream  bool     // publish every step, not only at the end

	canceled atomic.Bool // set by the handler when the client is gone

	mu     sync.Mutex
	snaps  []snapshot // per choice, under mu
	err    *apiError  // under mu: the request failed
	notify chan struct{}

	left int // unfinished choices (scheduler only)
}

// snapshot is what a handler sees of a choice.
type snapshot struct {
	Tokens     []int32
	LogProbs   []float32
	Done       bool
	Finish     string // "stop" or "length" when Done
	StopReason any    // the stop string or stop token id that ended it
	Text       string // final text when Done
}

// choice is one sequence being generated (scheduler only, but for the
// immutable fields set before submission).
type choice struct {
	req    *request
	index  int
	prompt []int32
	job    lm.Job

	entry     *engineEntry
	submitted bool
	finished  bool   // answered (the job may still drain in the engine)
	cut       int    // tokens kept when a stop string ended the text
	text      string // text kept when a stop string ended it
	scanned   int    // bytes of the text already searched for stop strings
	matched   string
}

// engineEntry is one lm.Engine of the scheduler.
type engineEntry struct {
	samp    sampling
	private bool // seeded: belongs to a single request
	e       *lm.Engine
	slots   int
	running []*choice // submitted, not yet returned by Step
	waiting []*choice // placed here, not yet submitted
}

func (en *engineEntry) idle() bool { return len(en.running) == 0 && len(en.waiting) == 0 }

// sched owns the model: a single goroutine runs every engine, one Step of
// each busy engine per round, admitting new requests between rounds
// (continuous batching).
type sched struct {
	m          *lm.Model
	tok        *tokenizer.HF // nil: no text
	slots      int
	ctxLen     int
	maxEngines int
	seed       uint64
	log        io.Writer

	submit chan *request
	quit   chan struct{}
	done   chan struct{}

	engines []*engineEntry
	pending []*request
	active  map[*request]bool
	streams uint64 // rng streams handed out to shared engines

	tokens atomic.Int64 // tokens generated, for statistics

	afterRound func() // tests: called after every round
}

func newSched(m *lm.Model, tok *tokenizer.HF, slots, ctxLen, maxEngines, queue int, seed uint64, log io.Writer) *sched {
	s := &sched{m: m, tok: tok, slots: slots, ctxLen: ctxLen, maxEngines: maxEngines, seed: seed, log: log,
		submit: make(chan *request, queue), quit: make(chan struct{}), done: make(chan struct{}),
		active: map[*request]bool{}}
	go s.run()
	return s
}

var errClosed = &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: "the server is shutting down"}

// close stops the scheduler, failing what is still queued or running, and
// waits for its goroutine to end.
func (s *sched) close() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
}

func (s *sched) run() {
	defer close(s.done)
	for {
		if len(s.active) == 0 {
			select {
			case r := <-s.submit:
				s.accept(r)
			case <-s.quit:
				s.failAll(errClosed)
				return
			}
		}
	drain:
		for {
			select {
			case r := <-s.submit:
				s.accept(r)
			default:
				break drain
			}
		}
		select {
		case <-s.quit:
			s.failAll(errClosed)
			return
		default:
		}
		s.round()
		if s.afterRound != nil {
			s.afterRound()
		}
	}
}

// round runs one scheduling round, turning a panic of the engine into
// failed requests rather than a dead process.
func (s *sched) round() {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(s.log, "serve: engine panic: %v\n%s", p, debug.Stack())
			s.failAll(&apiError{Status: http.StatusInternalServerError, Type: "server_error", Message: fmt.Sprintf("engine failure: %v", p)})
			s.engines = nil // their state is unknown; later requests start fresh engines
		}
	}()
	s.reap()
	s.place()
	for _, en := range s.engines {
		for len(en.running) < en.slots && len(en.waiting) > 0 {
			c := en.waiting[0]
			en.waiting = en.waiting[1:]
			if err := en.e.Submit(&c.job); err != nil {
				s.fail(c.req, &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: err.Error()})
				continue
			}
			c.submitted = true
			en.running = append(en.running, c)
		}
		if len(en.running) == 0 {
			continue
		}
		for _, j := range en.e.Step() {
			c := j.Tag.(*choice)
			en.running = slices.DeleteFunc(en.running, func(x *choice) bool { return x == c })
			s.tokens.Add(int64(len(j.Tokens)))
			if !c.finished {
				s.checkStops(c)
				s.finish(c)
			}
		}
		for _, c := range en.running {
			if c.finished {
				continue
			}
			if s.checkStops(c) {
				c.job.MaxNew = 0 // the engine ends the job at its next sample; that token is dropped
				s.finish(c)
			} else if c.req.stream {
				s.publish(c, false)
			}
		}
	}
	// Seeded engines serve one request: drop them when it is done.
	s.engines = slices.DeleteFunc(s.engines, func(en *engineEntry) bool {
		if en.private && en.idle() {
			en.e.Release()
			return true
		}
		return false
	})
}

// accept registers a new request.
func (s *sched) accept(r *request) {
	r.left = len(r.choices)
	for _, c := range r.choices {
		c.job.Tag = c
	}
	s.active[r] = true
	s.pending = append(s.pending, r)
}

// reap ends the choices of requests whose clients are gone.
func (s *sched) reap() {
	for r := range s.active {
		if !r.canceled.Load() {
			continue
		}
		for _, c := range r.choices {
			s.drop(c)
		}
		delete(s.active, r)
		s.pending = slices.DeleteFunc(s.pending, func(x *request) bool { return x == r })
	}
}

// drop stops working on a choice without answering it.
func (s *sched) drop(c *choice) {
	if c.finished {
		return
	}
	c.finished = true
	if en := c.entry; en != nil {
		if c.submitted {
			c.job.MaxNew = 0
		} else {
			en.waiting = slices.DeleteFunc(en.waiting, func(x *choice) bool { return x == c })
		}
	}
}

// place moves pending requests onto engines: the shared engine of their
// sampling settings, or a new one (a private one for seeded requests) when
// fewer than maxEngines exist or an idle one can make room.
func (s *sched) place() {
	keep := s.pending[:0]
	for _, r := range s.pending {
		var en *engineEntry
		if r.seed == nil {
			for _, e := range s.engines {
				if !e.private && e.samp == r.samp {
					en = e
					break
				}
			}
		}
		if en == nil {
			if len(s.engines) >= s.maxEngines {
				i := slices.IndexFunc(s.engines, (*engineEntry).idle)
				if i < 0 {
					keep = append(keep, r) // wait for an engine to go idle
					continue
				}
				s.engines[i].e.Release()
				s.engines = slices.Delete(s.engines, i, i+1)
			}
			var rng *rand.Rand
			slots := s.slots
			if r.seed != nil {
				rng = rand.New(rand.NewPCG(*r.seed, 0x5eed))
				slots = min(slots, len(r.choices))
			} else {
				s.streams++
				rng = rand.New(rand.NewPCG(s.seed, s.streams))
			}
			e, err := s.m.NewEngine(slots, s.ctxLen, r.samp.options(), rng)
			if err != nil {
				s.fail(r, &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: err.Error()})
				continue
			}
			en = &engineEntry{samp: r.samp, private: r.seed != nil, e: e, slots: slots}
			s.engines = append(s.engines, en)
		}
		for _, c := range r.choices {
			c.entry = en
			en.waiting = append(en.waiting, c)
		}
	}
	clear(s.pending[len(keep):])
	s.pending = keep
}

// checkStops reports whether the choice's text now contains one of its
// stop strings; the text is then cut before it (c.cut, c.text).
func (s *sched) checkStops(c *choice) bool {
	if len(c.req.stops) == 0 || s.tok == nil || c.cut > 0 {
		return c.cut > 0
	}
	text := s.tok.DecodeWith(c.job.Tokens, true)
	longest := 0
	for _, st := range c.req.stops {
		longest = max(longest, len(st))
	}
	// Earlier bytes were searched already; a match may start up to
	// longest-1 bytes back (and a replaced partial character a few more).
	from := max(0, min(c.scanned, len(text))-longest-4)
	best, which := -1, ""
	for _, st := range c.req.stops {
		if i := strings.Index(text[from:], st); i >= 0 && (best < 0 || from+i < best) {
			best, which = from+i, st
		}
	}
	c.scanned = len(text)
	if best < 0 {
		return false
	}
	c.cut, c.text, c.matched = len(c.job.Tokens), text[:best], which
	return true
}

// finish answers a choice.
func (s *sched) finish(c *choice) {
	if c.finished {
		return
	}
	s.publish(c, true)
	c.finished = true
	r := c.req
	r.left--
	if r.left == 0 {
		delete(s.active, r)
	}
}

// publish copies the choice's tokens into its snapshot and wakes the
// handler; done marks it finished.
func (s *sched) publish(c *choice, done bool) {
	j := &c.job
	n := len(j.Tokens)
	if c.cut > 0 {
		n = c.cut
	}
	r := c.req
	r.mu.Lock()
	sn := &r.snaps[c.index]
	if !done && len(sn.Tokens) >= n {
		r.mu.Unlock()
		return // nothing new
	}
	if len(sn.Tokens) < n {
		sn.Tokens = append(sn.Tokens, j.Tokens[len(sn.Tokens):n]...)
		sn.LogProbs = append(sn.LogProbs, j.LogProbs[len(sn.LogProbs):n]...)
	}
	if done {
		sn.Done = true
		switch {
		case c.cut > 0:
			sn.Finish, sn.StopReason, sn.Text = "stop", c.matched, c.text
		case j.Stopped:
			sn.Finish, sn.StopReason = "stop", int(j.Tokens[n-1])
		default:
			sn.Finish = "length"
		}
		if c.cut == 0 && s.tok != nil {
			sn.Text = s.tok.DecodeWith(sn.Tokens, true)
		}
	}
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// fail answers every unfinished choice of r with an error.
func (s *sched) fail(r *request, e *apiError) {
	r.mu.Lock()
	if r.err == nil {
		r.err = e
	}
	r.mu.Unlock()
	for _, c := range r.choices {
		s.drop(c)
	}
	delete(s.active, r)
	s.pending = slices.DeleteFunc(s.pending, func(x *request) bool { return x == r })
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// failAll fails every request the scheduler knows of, and those still in
// the submit channel.
func (s *sched) failAll(e *apiError) {
	for r := range s.active {
		s.fail(r, e)
	}
	for {
		select {
		case r := <-s.submit:
			s.fail(r, e)
		default:
			return
		}
	}
}
