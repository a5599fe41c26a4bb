package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/autodidact-rl/autodidact/run"
	"github.com/autodidact-rl/autodidact/tensor"
)

// Rollout workers for one run. The learner (a run with run.Options.Rollouts
// set to a *Learner) publishes its recipe and, before each RL step's
// sampling, its weights (object store RolloutBucket(RUN), object
// "weights/VERSION", VERSION = policy updates so far); it then puts the
// step's rollout requests on the work-queue stream RolloutStream (subject
// RolloutSubject.RUN) and waits for the episodes on EpisodeStream
// (EpisodeSubject.RUN). A worker (ServeRollouts) loads the weights a
// request names, plays its episodes from the learner's generator state
// and publishes them with the weights' version and the sampling
// log-probs. With one shard the episodes, and so the whole run, are bit
// for bit those of the single-process run: the policy is the same, the
// generator state is the learner's and is handed back. Only staleness 0
// is implemented (the learner waits for episodes of its current
// weights); see docs/cluster.md for what is missing.
const (
	RolloutStream   = "AUTODIDACT_ROLLOUTS"
	RolloutSubject  = "autodidact.rollouts"
	EpisodeStream   = "AUTODIDACT_EPISODES"
	EpisodeSubject  = "autodidact.episodes"
	RolloutConsumer = "rollout-workers"
	recipeObject    = "recipe.yaml"
)

// RolloutBucket is the object store of a run's recipe and weights.
func RolloutBucket(runID string) string { return "autodidact-rollout-" + runID }

func weightsObject(v int) string { return "weights/" + strconv.Itoa(v) }

// rolloutJob is one shard of a rollout request.
type rolloutJob struct {
	Run   string              `json:"run"`
	ID    string              `json:"id"` // step.round.shard
	Shard int                 `json:"shard"`
	Req   *run.RolloutRequest `json:"req"`
}

// episodesMsg is a worker's answer to a rolloutJob.
type episodesMsg struct {
	Run    string            `json:"run"`
	ID     string            `json:"id"`
	Reply  *run.RolloutReply `json:"reply,omitempty"`
	Error  string            `json:"error,omitempty"`
	Worker string            `json:"worker"`
	// Object, when set, names the object holding Reply (a reply too big
	// for one message, over maxInline bytes).
	Object string `json:"object,omitempty"`
	// Seconds is the worker's time from taking the job to publishing
	// (weights download included); Sample the sampling alone.
	Seconds, Sample float64
}

// maxInline is the largest reply sent in the message itself (NATS's
// default max_payload is 1 MiB).
const maxInline = 512 << 10

// setupRollouts creates the rollout streams and a run's consumer.
func setupRollouts(ctx context.Context, js jetstream.JetStream, runID string, ackWait time.Duration) (jetstream.Consumer, error) {
	if ackWait <= 0 {
		ackWait = DefaultAckWait
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: RolloutStream, Subjects: []string{RolloutSubject + ".*"},
		Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage}); err != nil {
		return nil, fmt.Errorf("nats stream %s: %w", RolloutStream, err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: EpisodeStream, Subjects: []string{EpisodeSubject + ".*"},
		Retention: jetstream.LimitsPolicy, Storage: jetstream.FileStorage, MaxAge: 24 * time.Hour}); err != nil {
		return nil, fmt.Errorf("nats stream %s: %w", EpisodeStream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, RolloutStream, jetstream.ConsumerConfig{Durable: RolloutConsumer + "-" + runID,
		AckPolicy: jetstream.AckExplicitPolicy, AckWait: ackWait, MaxDeliver: -1, FilterSubject: RolloutSubject + "." + runID})
	if err != nil {
		return nil, fmt.Errorf("nats consumer for run %s: %w", runID, err)
	}
	return cons, nil
}

// Learner is the learner's side: a run.Rollouts over NATS.
type Learner struct {
	js     jetstream.JetStream
	store  jetstream.ObjectStore
	id     string
	nonce  string // this learner's invocation: a resumed run's requests are new messages
	shards int
	ctx    context.Context
	cancel context.CancelFunc

	published int // weights version in the store (-1: none)
	mu        sync.Mutex
	replies   map[string]chan episodesMsg
	listening chan error

	// Stats, read after the run: time waiting for episodes, and the
	// workers' own times.
	Wait, WorkerSeconds, WorkerSample float64
	Requests                          int
	WeightBytes                       int
}

// LearnerOptions configure a Learner.
type LearnerOptions struct {
	// Shards splits each rollout request between that many workers (0,
	// 1: one request, bit for bit the single-process run). With more,
	// each shard samples from its own generator, seeded from the
	// learner's: reproducible for a given shard count, but not the
	// single-process run's episodes.
	Shards  int
	AckWait time.Duration
}

// NewLearner publishes the resolved recipe of run runID (workers build
// their policy and environment from it) and listens for episodes.
func NewLearner(ctx context.Context, js jetstream.JetStream, runID string, r *run.Recipe, o LearnerOptions) (*Learner, error) {
	if _, err := setupRollouts(ctx, js, runID, o.AckWait); err != nil {
		return nil, err
	}
	store, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: RolloutBucket(runID), Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("nats object store %s: %w", RolloutBucket(runID), err)
	}
	if _, err := store.PutBytes(ctx, recipeObject, r.YAML()); err != nil {
		return nil, fmt.Errorf("publish recipe: %w", err)
	}
	l := &Learner{js: js, store: store, id: runID, nonce: newNonce(), shards: max(1, o.Shards), published: -1,
		replies: map[string]chan episodesMsg{}, listening: make(chan error, 1)}
	l.ctx, l.cancel = context.WithCancel(ctx)
	go func() { l.listening <- l.listen() }()
	return l, nil
}

// Close stops listening and deletes the run's weights and recipe.
func (l *Learner) Close() {
	l.cancel()
	<-l.listening
	l.js.DeleteObjectStore(context.Background(), RolloutBucket(l.id))
}

func (l *Learner) listen() error {
	cons, err := l.js.OrderedConsumer(l.ctx, EpisodeStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{EpisodeSubject + "." + l.id},
		DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return err
	}
	it, err := cons.Messages()
	if err != nil {
		return err
	}
	go func() { <-l.ctx.Done(); it.Stop() }()
	for {
		msg, err := it.Next()
		if err != nil {
			if l.ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return l.ctx.Err()
			}
			continue
		}
		var m episodesMsg
		if json.Unmarshal(msg.Data(), &m) != nil || m.Run != l.id {
			continue
		}
		l.mu.Lock()
		ch := l.replies[m.ID]
		delete(l.replies, m.ID)
		l.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// Sample implements run.Rollouts: publish the weights if they changed,
// put the request's shards on the queue, wait for their episodes.
func (l *Learner) Sample(req *run.RolloutRequest) (*run.RolloutReply, error) {
	t0 := time.Now()
	if req.Version != l.published {
		w := run.EncodeWeights(req.Policy)
		if _, err := retry(l.ctx, func() (*jetstream.ObjectInfo, error) { return l.store.PutBytes(l.ctx, weightsObject(req.Version), w) }); err != nil {
			return nil, fmt.Errorf("publish weights %d: %w", req.Version, err)
		}
		if l.published >= 0 {
			l.store.Delete(l.ctx, weightsObject(l.published))
		}
		l.published = req.Version
		l.WeightBytes = len(w)
	}
	shards, master, err := l.split(req)
	if err != nil {
		return nil, err
	}
	chans := make([]chan episodesMsg, len(shards))
	for i, sh := range shards {
		id := fmt.Sprintf("%s.%d.%d.%d", l.nonce, req.Step, req.Round, i)
		chans[i] = make(chan episodesMsg, 1)
		l.mu.Lock()
		l.replies[id] = chans[i]
		l.mu.Unlock()
		b, err := json.Marshal(rolloutJob{Run: l.id, ID: id, Shard: i, Req: sh})
		if err != nil {
			return nil, err
		}
		if _, err := retry(l.ctx, func() (*jetstream.PubAck, error) {
			return l.js.Publish(l.ctx, RolloutSubject+"."+l.id, b, jetstream.WithMsgID(l.id+"."+id))
		}); err != nil {
			return nil, fmt.Errorf("publish rollout request: %w", err)
		}
	}
	out := &run.RolloutReply{Version: req.Version}
	for i, ch := range chans {
		var m episodesMsg
		select {
		case m = <-ch:
		case <-l.ctx.Done():
			return nil, l.ctx.Err()
		}
		if m.Error == "" && m.Object != "" {
			b, err := retry(l.ctx, func() ([]byte, error) { return getBlob(l.ctx, l.store, m.Object) })
			if err == nil {
				err = json.Unmarshal(b, &m.Reply)
			}
			if err != nil {
				return nil, fmt.Errorf("episodes from worker %s: %w", m.Worker, err)
			}
			l.store.Delete(l.ctx, m.Object)
		}
		if m.Error != "" {
			return nil, fmt.Errorf("worker %s: %s", m.Worker, m.Error)
		}
		if m.Reply == nil {
			return nil, fmt.Errorf("worker %s: no episodes", m.Worker)
		}
		if m.Reply.Version != req.Version {
			return nil, fmt.Errorf("worker %s sampled with weights %d, want %d", m.Worker, m.Reply.Version, req.Version)
		}
		// The learner's own problems, not their JSON round trip.
		for j, e := range m.Reply.Episodes {
			e.Problem = shards[i].Problems[j/req.GroupSize]
		}
		out.Episodes = append(out.Episodes, m.Reply.Episodes...)
		if master == nil {
			out.RNG = m.Reply.RNG
		}
		l.WorkerSeconds += m.Seconds
		l.WorkerSample += m.Sample
	}
	if master != nil {
		out.RNG, _ = master.MarshalBinary()
	}
	l.Requests++
	l.Wait += time.Since(t0).Seconds()
	return out, nil
}

// split cuts a request into shards by problems. One shard keeps the
// learner's generator (master nil); more draw one seed pair each from it.
func (l *Learner) split(req *run.RolloutRequest) ([]*run.RolloutRequest, *rand.PCG, error) {
	n := min(l.shards, len(req.Problems))
	if n <= 1 {
		return []*run.RolloutRequest{req}, nil, nil
	}
	master := &rand.PCG{}
	if err := master.UnmarshalBinary(req.RNG); err != nil {
		return nil, nil, err
	}
	var out []*run.RolloutRequest
	for i := 0; i < n; i++ {
		lo, hi := i*len(req.Problems)/n, (i+1)*len(req.Problems)/n
		sh := *req
		sh.Problems = req.Problems[lo:hi]
		sh.RNG, _ = rand.NewPCG(master.Uint64(), master.Uint64()).MarshalBinary()
		out = append(out, &sh)
	}
	return out, master, nil
}

// RolloutWorkerOptions configure ServeRollouts.
type RolloutWorkerOptions struct {
	Name    string
	AckWait time.Duration
	Log     io.Writer
	Threads int // matrix-product threads (0: the recipe's)
}

// ServeRollouts answers run runID's rollout requests until ctx ends.
func ServeRollouts(ctx context.Context, js jetstream.JetStream, runID string, o RolloutWorkerOptions) error {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	cons, err := retry(ctx, func() (jetstream.Consumer, error) { return setupRollouts(ctx, js, runID, o.AckWait) })
	if err != nil {
		return err
	}
	store, err := retry(ctx, func() (jetstream.ObjectStore, error) { return js.ObjectStore(ctx, RolloutBucket(runID)) })
	if err != nil {
		return fmt.Errorf("run %s: %w", runID, err)
	}
	recipe, err := retry(ctx, func() ([]byte, error) { return store.GetBytes(ctx, recipeObject) })
	if err != nil {
		return fmt.Errorf("run %s: recipe: %w", runID, err)
	}
	tmp, err := os.MkdirTemp("", "autodidact-rollout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "recipe.yaml")
	if err := os.WriteFile(path, recipe, 0o644); err != nil {
		return err
	}
	r, err := run.LoadRecipe(path)
	if err != nil {
		return fmt.Errorf("run %s: recipe: %w", runID, err)
	}
	if o.Threads > 0 {
		r.Threads = o.Threads
	}
	if r.Threads > 0 {
		tensor.SetThreads(r.Threads)
	}
	w, err := run.NewRolloutWorker(r)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "rollout worker %s: serving run %s\n", o.Name, runID)
	for ctx.Err() == nil {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for msg := range batch.Messages() {
			serveOne(ctx, js, store, w, runID, o.Name, msg)
		}
	}
	return nil
}

// serveOne answers one rollout job.
func serveOne(ctx context.Context, js jetstream.JetStream, store jetstream.ObjectStore, w *run.RolloutWorker, runID, name string, msg jetstream.Msg) {
	t0 := time.Now()
	var j rolloutJob
	if err := json.Unmarshal(msg.Data(), &j); err != nil || j.Req == nil {
		msg.Term()
		return
	}
	ans := episodesMsg{Run: runID, ID: j.ID, Worker: name}
	if w.Version() != j.Req.Version {
		b, err := retry(ctx, func() ([]byte, error) { return getBlob(ctx, store, weightsObject(j.Req.Version)) })
		if err == nil {
			err = w.SetWeights(j.Req.Version, b)
		}
		if err != nil {
			ans.Error = fmt.Sprintf("weights %d: %v", j.Req.Version, err)
		}
	}
	if ans.Error == "" {
		t1 := time.Now()
		rep, err := w.Sample(j.Req)
		ans.Sample = time.Since(t1).Seconds()
		if err != nil {
			ans.Error = err.Error()
		} else {
			ans.Reply = rep
		}
	}
	if ans.Reply != nil {
		if b, err := json.Marshal(ans.Reply); err == nil && len(b) > maxInline {
			ans.Object = "episodes/" + j.ID
			if _, err := retry(ctx, func() (*jetstream.ObjectInfo, error) { return store.PutBytes(ctx, ans.Object, b) }); err != nil {
				ans.Error = "upload episodes: " + err.Error()
			}
			ans.Reply = nil
		}
	}
	ans.Seconds = time.Since(t0).Seconds()
	b, err := json.Marshal(ans)
	if err != nil {
		ans = episodesMsg{Run: runID, ID: j.ID, Worker: name, Error: "encode episodes: " + err.Error()}
		b, _ = json.Marshal(ans)
	}
	if _, err := retry(ctx, func() (*jetstream.PubAck, error) {
		return js.Publish(ctx, EpisodeSubject+"."+runID, b, jetstream.WithMsgID(runID+"."+j.ID+".episodes"))
	}); err != nil {
		msg.Nak()
		return
	}
	msg.Ack()
}
