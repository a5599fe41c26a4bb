// Package serve is an OpenAI-compatible HTTP server over a Hugging Face
// model directory loaded with package hf: POST /v1/completions, POST
// /v1/chat/completions and GET /v1/models, streamed as Server-Sent Events
// when asked. Every choice also carries the generated token ids (and the
// prompt's), as vLLM's return_token_ids does, so RL callers never
// re-tokenize.
//
// Requests from all clients are batched on the same engines: a single
// goroutine owns the model and its lm.Engine KV-cache slots (continuous
// batching); each HTTP request becomes one job per prompt and sample,
// submitted through a channel, and each finished job answers its request.
// An lm.Engine fixes the temperature and truncation settings of all its
// jobs, so requests with equal settings share an engine; a request with a
// seed gets an engine of its own, seeded with it, so its output is
// reproducible.
package serve

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/autodidact-rl/autodidact/hf"
)

// Options configure a Server. Zero fields take the defaults named.
type Options struct {
	ModelDir  string // Hugging Face model directory (Run only)
	Addr      string // listen address (Run only); default DefaultAddr (loopback: set it, with an APIKey, to listen wider)
	ModelName string // the model id of /v1/models and responses; default the directory's base name

	Slots        int    // KV-cache slots per engine (sequences decoded together); default 8
	ContextLen   int    // longest prompt plus completion; default min(max_position_embeddings, 4096)
	MaxTokens    int    // cap on max_tokens; default min(4096, ContextLen) (an absent max_tokens is 16 for completions, the rest of the context up to this cap for chat)
	MaxN         int    // cap on choices per request (prompts × n); default 64
	MaxBodyBytes int64  // request body limit; default 1 MiB
	MaxQueue     int    // requests queued or running at once (more get 429); default 256
	MaxEngines   int    // engines (distinct sampling settings or seeded requests) alive at once; default 4
	APIKey       string // when set, requests need "Authorization: Bearer APIKey"
	Seed         uint64 // seeds the shared engines' random streams (requests without a seed)

	// Listening, when set, is called by Run with the bound address once
	// the server accepts connections (useful with Addr ":0").
	Listening func(addr string)
}

// DefaultAddr is where Run listens unless Options.Addr says otherwise.
const DefaultAddr = "127.0.0.1:8000"

// Defaults of Options.
const (
	DefaultSlots        = 8
	DefaultContextLen   = 4096
	DefaultMaxTokens    = 4096
	DefaultMaxN         = 64
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxQueue     = 256
	DefaultMaxEngines   = 4
)

func (o Options) withDefaults(maxPos int) Options {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.ModelName == "" {
		o.ModelName = filepath.Base(filepath.Clean(o.ModelDir))
		if o.ModelDir == "" {
			o.ModelName = "model"
		}
	}
	if o.Slots <= 0 {
		o.Slots = DefaultSlots
	}
	if o.ContextLen <= 0 {
		o.ContextLen = DefaultContextLen
	}
	o.ContextLen = min(o.ContextLen, maxPos)
	if o.MaxTokens <= 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	o.MaxTokens = min(o.MaxTokens, o.ContextLen)
	if o.MaxN <= 0 {
		o.MaxN = DefaultMaxN
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxQueue <= 0 {
		o.MaxQueue = DefaultMaxQueue
	}
	if o.MaxEngines <= 0 {
		o.MaxEngines = DefaultMaxEngines
	}
	return o
}

// Server answers the OpenAI-compatible endpoints over one loaded model.
type Server struct {
	opt      Options
	p        *hf.Pretrained
	sched    *sched
	eos      []int32 // stop tokens of every request (config and generation config eos_token_id)
	chatEOS  []int32 // further stop tokens of chat requests (the template's eos_token)
	tplMu    sync.Mutex
	created  int64
	inflight atomic.Int64
	log      io.Writer
	closed   sync.Once
}

// New starts a server over a loaded model; the caller must not use p.Model
// until Close. ModelDir, Addr and Listening are not used (see Run). log
// receives a line per server-side (5xx) failure and engine panic (nil:
// discarded).
func New(p *hf.Pretrained, opt Options, log io.Writer) (*Server, error) {
	if p == nil || p.Model == nil {
		return nil, errors.New("serve: no model")
	}
	if log == nil {
		log = io.Discard
	}
	opt = opt.withDefaults(p.Model.Cfg.MaxPositionEmbeddings)
	s := &Server{opt: opt, p: p, created: time.Now().Unix(), log: log}
	V := p.Model.Cfg.VocabSize
	add := func(dst *[]int32, id int) {
		if id >= 0 && id < V && !contains(s.eos, int32(id)) && !contains(*dst, int32(id)) {
			*dst = append(*dst, int32(id))
		}
	}
	for _, id := range p.Config.EOSTokenID {
		add(&s.eos, id)
	}
	if p.Generation != nil {
		for _, id := range p.Generation.EOSTokenID {
			add(&s.eos, id)
		}
	}
	if p.Tokenizer != nil && p.ChatTemplate != nil && p.ChatTemplate.EOS != "" {
		if id, ok := p.Tokenizer.TokenToID(p.ChatTemplate.EOS); ok {
			add(&s.chatEOS, int(id))
		}
	}
	s.sched = newSched(p.Model, p.Tokenizer, opt.Slots, opt.ContextLen, opt.MaxEngines, opt.MaxQueue, opt.Seed, log)
	return s, nil
}

func contains(s []int32, x int32) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// Options returns the server's settings after defaults.
func (s *Server) Options() Options { return s.opt }

// Generated returns the number of tokens the engines have sampled so far.
func (s *Server) Generated() int64 { return s.sched.tokens.Load() }

// Close stops the engine goroutine; requests still running get 503. It is
// safe to call more than once.
func (s *Server) Close() error {
	s.closed.Do(s.sched.close)
	return nil
}

// Run loads opt.ModelDir and serves it on opt.Addr (default 127.0.0.1:8000)
// until ctx is canceled, then shuts down gracefully: the listener closes,
// running requests get up to 10 seconds to finish, the engine stops. This is
// `autodidact serve --model DIR [--addr ADDR]`. log receives a start line
// with the settings, a line per server-side failure and a stop line.
func Run(ctx context.Context, opt Options, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	if opt.ModelDir == "" {
		return errors.New("serve: no model directory")
	}
	cfg, err := hf.LoadConfig(opt.ModelDir)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	ctxLen := opt.ContextLen
	if ctxLen <= 0 {
		ctxLen = DefaultContextLen
	}
	start := time.Now()
	p, err := hf.Open(opt.ModelDir, hf.Options{MaxPositions: min(ctxLen, cfg.LM.MaxPositionEmbeddings)})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	s, err := New(p, opt, log)
	if err != nil {
		return err
	}
	defer s.Close()
	o := s.opt
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	c := p.Model.Cfg
	kv := int64(2*c.NumHiddenLayers*c.NumKeyValueHeads*c.HeadDim()) * int64(o.Slots*o.ContextLen) * 4
	fmt.Fprintf(log, "serve: %s (%s) loaded in %.1fs; http://%s/v1 with %d slots per engine, context %d, max_tokens <= %d, n <= %d, %d MiB of KV cache per engine (up to %d engines)\n",
		o.ModelName, opt.ModelDir, time.Since(start).Seconds(), ln.Addr(), o.Slots, o.ContextLen, o.MaxTokens, o.MaxN, kv>>20, o.MaxEngines)
	if p.Tokenizer == nil {
		fmt.Fprintf(log, "serve: %s has no tokenizer.json: only token-id prompts work and texts are empty\n", opt.ModelDir)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if o.Listening != nil {
		o.Listening(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	s.Close() // streams still open end now
	if err != nil {
		srv.Close()
	}
	<-errc
	fmt.Fprintf(log, "serve: stopped after %d generated tokens\n", s.Generated())
	return nil
}

// newID returns a response id such as "cmpl-3f2a...".
func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}
