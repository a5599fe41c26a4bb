package lm

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Job is one generation request for an Engine: continue Context by at most
// MaxNew sampled tokens. Context holds token ids only (never text): the
// next turn of an episode is the earlier context's ids, the ids generated
// for it, and the new observation's ids.
type Job struct {
	Context  []int32   // tokens to condition on (non-empty)
	MaxNew   int       // most tokens to sample
	Stop     []int32   // tokens that end the job (kept in Tokens)
	StopSeqs [][]int32 // the job also ends when Tokens ends with one of these
	Tag      any       // the caller's
	// Continues is an earlier job of this engine whose context and tokens
	// begin this job's context (the previous turn of the same episode): the
	// job is placed in that job's slot when it is free, ahead of the queue,
	// so its cache is reused rather than taken by other work.
	Continues *Job

	// Filled by the engine.
	Tokens   []int32   // sampled tokens
	LogProbs []float32 // log-prob of each sampled token under the engine's temperature
	Stopped  bool      // ended on a stop token or stop sequence (false: hit MaxNew)
	Slot     int       // cache slot that ran the job
	Reused   int       // context tokens whose keys and values came from the cache
}

// slot is one row of the KV cache.
type slot struct {
	job    *Job      // running job (nil: free)
	cached []int32   // tokens whose keys and values are in the cache, positions 0..len-1
	feed   []int32   // context tokens still to run through the model before sampling
	logits []float32 // next-token logits when the slot is ready to sample
}

// Engine samples many jobs with continuous batching: up to Slots jobs
// decode together, one token per job per Step, each in its own KV-cache
// slot. A job that finishes frees its slot for the next waiting job, so
// jobs of different lengths and turn counts keep the batch full. A job
// whose Context starts with tokens already cached in some slot (the next
// turn of the same episode, or a branch from a prefix of another) reuses
// those keys and values: the prefix is never recomputed, only copied when
// it lives in another slot.
//
// Jobs admitted with nothing cached are prefilled together through the
// training forward pass; the rest of a context is fed one token per step
// through the decoder. Both paths use the row-invariant kernels of Score,
// so the recorded log-probs equal those Score computes for the same
// sequence. Random draws happen in slot order, one per sampling slot per
// step, so a seed reproduces the output.
type Engine struct {
	m     *Model
	opt   SampleOptions // Temperature, TopK, TopP, MinP (per-job MaxNew and Stop)
	temp  float32
	rng   *rand.Rand
	dec   *decoder
	slots []slot
	queue []*Job
	pre   []float32 // [slots, V] logits of prefilled slots
}

// NewEngine makes an engine with the given number of slots, each holding
// up to maxLen tokens (context plus generated), sampling with opt's
// temperature and truncation settings (opt.MaxNew and opt.Stop are
// ignored: each Job has its own).
func (m *Model) NewEngine(slots, maxLen int, opt SampleOptions, rng *rand.Rand) (*Engine, error) {
	o := opt
	o.MaxNew = 1
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if slots <= 0 || maxLen <= 0 || maxLen > m.Cfg.MaxPositionEmbeddings {
		return nil, fmt.Errorf("engine: %d slots of %d tokens (want > 0 and <= max_position_embeddings %d)", slots, maxLen, m.Cfg.MaxPositionEmbeddings)
	}
	temp := opt.Temperature
	if temp == 0 {
		temp = 1
	}
	dec := m.dec
	if dec == nil || dec.B < slots || dec.S < maxLen {
		dec = newDecoder(m, slots, maxLen)
	}
	m.dec = nil // the engine owns the decoder until Release
	return &Engine{m: m, opt: opt, temp: temp, rng: rng, dec: dec, slots: make([]slot, slots),
		pre: make([]float32, slots*m.Cfg.VocabSize)}, nil
}

// Release hands the engine's buffers back to the model for reuse by later
// engines; the engine must not be used afterwards.
func (e *Engine) Release() {
	if e.m.dec == nil || e.m.dec.B*e.m.dec.S < e.dec.B*e.dec.S {
		e.m.dec = e.dec
	}
	e.dec = nil
}

// Submit queues a job. It fails at once on a job that cannot run.
func (e *Engine) Submit(j *Job) error {
	cfg := e.m.Cfg
	switch {
	case len(j.Context) == 0:
		return fmt.Errorf("engine: empty context")
	case j.MaxNew <= 0:
		return fmt.Errorf("engine: max_new_tokens %d must be positive", j.MaxNew)
	case len(j.Context)+j.MaxNew > e.dec.S:
		return fmt.Errorf("engine: a context of %d tokens plus %d new tokens exceeds the %d positions of the cache (max_position_embeddings %d)", len(j.Context), j.MaxNew, e.dec.S, cfg.MaxPositionEmbeddings)
	}
	for i, tok := range j.Context {
		if tok < 0 || int(tok) >= cfg.VocabSize {
			return fmt.Errorf("engine: context position %d: token %d is outside the vocabulary [0, %d)", i, tok, cfg.VocabSize)
		}
	}
	j.Tokens, j.LogProbs, j.Stopped = j.Tokens[:0], j.LogProbs[:0], false
	e.queue = append(e.queue, j)
	return nil
}

// Busy reports whether any job is queued or running.
func (e *Engine) Busy() bool {
	if len(e.queue) > 0 {
		return true
	}
	for i := range e.slots {
		if e.slots[i].job != nil {
			return true
		}
	}
	return false
}

// Step admits waiting jobs into free slots, samples one token for every
// slot ready to sample, runs one decoder step, and returns the jobs that
// finished in this step (in slot order).
func (e *Engine) Step() []*Job {
	e.admit()
	V := e.m.Cfg.VocabSize
	var done []*Job
	var seqs []int
	var toks, pos []int32
	for b := range e.slots {
		s := &e.slots[b]
		if s.job == nil {
			continue
		}
		if s.logits != nil {
			j := s.job
			tok, lp := e.dec.sample(s.logits, e.opt, e.rng)
			s.logits = nil
			j.Tokens = append(j.Tokens, tok)
			j.LogProbs = append(j.LogProbs, lp)
			if slices.Contains(j.Stop, tok) || endsWithAny(j.Tokens, j.StopSeqs) {
				j.Stopped = true
			}
			if j.Stopped || len(j.Tokens) >= j.MaxNew {
				done = append(done, j)
				s.job = nil // the last token is never run: cached holds the context and all but it
				continue
			}
			s.feed = append(s.feed[:0], tok)
		}
		seqs = append(seqs, b)
		toks = append(toks, s.feed[0])
		pos = append(pos, int32(len(s.cached)))
		s.cached = append(s.cached, s.feed[0])
		s.feed = s.feed[1:]
	}
	// Spare rows feed further context tokens of the same slots (an
	// observation after a turn, a new prompt in a freed slot), so
	// multi-turn episodes do not spend a step per observation token. The
	// rows of a step are capped by the engine's slot count (not the
	// decoder's capacity, which depends on earlier engines), so the order
	// of random draws depends only on the engine's settings.
	multi := false
	for b := range e.slots {
		s := &e.slots[b]
		for s.job != nil && len(s.feed) > 0 && len(seqs) < rowsPerSlot*len(e.slots) {
			seqs = append(seqs, b)
			toks = append(toks, s.feed[0])
			pos = append(pos, int32(len(s.cached)))
			s.cached = append(s.cached, s.feed[0])
			s.feed = s.feed[1:]
			multi = true
		}
	}
	if len(seqs) > 0 {
		e.dec.multi = multi
		e.dec.step(seqs, toks, pos, e.temp)
		e.dec.multi = false
		// A slot whose context has all run samples next from its last row
		// (later rows of a slot overwrite earlier ones).
		for r, b := range seqs {
			if s := &e.slots[b]; len(s.feed) == 0 {
				s.logits = e.dec.logits[r*V : (r+1)*V]
			}
		}
	}
	return done
}

// admit moves queued jobs into free slots. A job goes to the free slot
// whose cache shares the longest prefix with its context (the lowest such
// slot on ties); when a running slot shares a longer prefix, that prefix
// is copied over. Jobs starting from an empty cache are prefilled together.
func (e *Engine) admit() {
	var fresh []int
	// Continuations whose earlier slot is free go there first.
	q := e.queue[:0]
	for _, j := range e.queue {
		if c := j.Continues; c != nil && c.Slot < len(e.slots) && e.slots[c.Slot].job == nil {
			if e.place(j, c.Slot) {
				fresh = append(fresh, c.Slot)
			}
			continue
		}
		q = append(q, j)
	}
	e.queue = q
	for len(e.queue) > 0 {
		best, bestN := -1, -1 // the free slot sharing the longest prefix
		for b := range e.slots {
			if s := &e.slots[b]; s.job == nil {
				if n := commonPrefix(s.cached, e.queue[0].Context); n > bestN {
					best, bestN = b, n
				}
			}
		}
		if best < 0 {
			break
		}
		j := e.queue[0]
		e.queue = e.queue[1:]
		if e.place(j, best) {
			fresh = append(fresh, best)
		}
	}
	if len(fresh) > 0 {
		e.prefill(fresh)
	}
}

// place starts job j in free slot b, reusing the longest cached prefix of
// its context (copied from a running slot when that one shares more), and
// reports whether nothing was reused (the slot then needs a prefill).
func (e *Engine) place(j *Job, b int) bool {
	s := &e.slots[b]
	n := commonPrefix(s.cached, j.Context)
	for o := range e.slots {
		if os := &e.slots[o]; os.job != nil && o != b {
			if m := commonPrefix(os.cached, j.Context); m > n {
				e.copyPrefix(o, b, m)
				n = m
			}
		}
	}
	// At least the last context token runs, to produce the logits.
	n = min(n, len(j.Context)-1)
	s.job, s.cached, s.logits = j, s.cached[:n], nil
	s.feed = append(s.feed[:0], j.Context[n:]...)
	j.Slot, j.Reused = b, n
	return n == 0
}

// prefill runs the contexts of the given empty slots through the training
// forward pass, fills their caches and leaves them ready to sample.
func (e *Engine) prefill(bs []int) {
	V := e.m.Cfg.VocabSize
	Tp := 0
	ctx := make([][]int32, len(bs))
	for i, b := range bs {
		ctx[i] = e.slots[b].feed
		Tp = max(Tp, len(ctx[i]))
	}
	tokens := make([]int32, len(bs)*Tp)
	for i, c := range ctx {
		copy(tokens[i*Tp:], c)
	}
	e.m.ivRows = bs
	e.m.forward(tokens, nil, len(bs), Tp, e.temp)
	e.m.ivRows = nil
	e.dec.fillCache(bs, ctx, Tp)
	for i, b := range bs {
		s := &e.slots[b]
		L := len(ctx[i])
		copy(e.pre[b*V:(b+1)*V], e.m.act.logits[(i*Tp+L-1)*V:(i*Tp+L)*V])
		s.cached = append(s.cached, s.feed...)
		s.feed = s.feed[:0]
		s.logits = e.pre[b*V : (b+1)*V]
	}
}

// copyPrefix copies the first n cached positions of slot from into slot to.
func (e *Engine) copyPrefix(from, to, n int) {
	c := e.m.Cfg
	hd := c.HeadDim()
	for l := range e.m.Layers {
		for g := 0; g < c.NumKeyValueHeads; g++ {
			src := ((from*c.NumKeyValueHeads + g) * e.dec.S) * hd
			dst := ((to*c.NumKeyValueHeads + g) * e.dec.S) * hd
			copy(e.dec.kc[l][dst:dst+n*hd], e.dec.kc[l][src:src+n*hd])
			copy(e.dec.vc[l][dst:dst+n*hd], e.dec.vc[l][src:src+n*hd])
		}
	}
	e.slots[to].cached = append(e.slots[to].cached[:0], e.slots[from].cached[:n]...)
}

func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func endsWithAny(toks []int32, seqs [][]int32) bool {
	for _, s := range seqs {
		if len(s) > 0 && len(toks) >= len(s) && slices.Equal(toks[len(toks)-len(s):], s) {
			return true
		}
	}
	return false
}
