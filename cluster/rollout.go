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
	latestObject    = "weights/latest" // the newest version's number
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

	published int                      // weights version in the store (-1: none)
	seq       int                      // requests published (ids stay unique across re-requests)
	pending   map[int]chan episodesMsg // rl.staleness > 0: requests published ahead, by step
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
		replies: map[string]chan episodesMsg{}, pending: map[int]chan episodesMsg{}, listening: make(chan error, 1)}
	l.ctx, l.cancel = context.WithCancel(ctx)
	go func() { l.listening <- l.listen() }()
	return l, nil
}

// Close stops listening and deletes the run's weights and recipe.
func (l *Learner) Close() {
	l.cancel()
	<-l.listening
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l.js.DeleteConsumer(ctx, RolloutStream, RolloutConsumer+"-"+l.id) // the run's workers then stop
	l.js.DeleteObjectStore(ctx, RolloutBucket(l.id))
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
		if _, err := retry(l.ctx, func() (*jetstream.ObjectInfo, error) {
			return l.store.PutString(l.ctx, latestObject, strconv.Itoa(req.Version))
		}); err != nil {
			return nil, fmt.Errorf("publish weights %d: %w", req.Version, err)
		}
		if l.published >= 1 { // the version before stays for workers loading it now
			l.store.Delete(l.ctx, weightsObject(l.published-1))
		}
		l.published = req.Version
		l.WeightBytes = len(w)
	}
	if req.Staleness > 0 && !req.Exact {
		return l.sampleAhead(req, t0)
	}
	shards, master, err := l.split(req)
	if err != nil {
		return nil, err
	}
	chans := make([]chan episodesMsg, len(shards))
	for i, sh := range shards {
		if chans[i], err = l.publish(sh, i); err != nil {
			return nil, err
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
		if err := l.fetchReply(&m); err != nil {
			return nil, err
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

// publish puts one rollout job on the queue and returns where its
// episodes will arrive.
func (l *Learner) publish(req *run.RolloutRequest, shard int) (chan episodesMsg, error) {
	l.seq++
	id := fmt.Sprintf("%s.%d.%d.%d.%d", l.nonce, req.Step, req.Round, shard, l.seq)
	ch := make(chan episodesMsg, 1)
	l.mu.Lock()
	l.replies[id] = ch
	l.mu.Unlock()
	b, err := json.Marshal(rolloutJob{Run: l.id, ID: id, Shard: shard, Req: req})
	if err != nil {
		return nil, err
	}
	if _, err := retry(l.ctx, func() (*jetstream.PubAck, error) {
		return l.js.Publish(l.ctx, RolloutSubject+"."+l.id, b, jetstream.WithMsgID(l.id+"."+id))
	}); err != nil {
		return nil, fmt.Errorf("publish rollout request: %w", err)
	}
	return ch, nil
}

// sampleAhead serves a request with rl.staleness > 0: the step's batch
// comes from a job published earlier (with older weights) when there is
// one; the next steps' jobs are published now, so workers sample them
// while the learner trains.
func (l *Learner) sampleAhead(req *run.RolloutRequest, t0 time.Time) (*run.RolloutReply, error) {
	ch := l.pending[req.Step]
	var err error
	if ch == nil {
		if ch, err = l.publish(req, 0); err != nil {
			return nil, err
		}
	}
	delete(l.pending, req.Step)
	for _, a := range req.Ahead {
		if l.pending[a.Step] != nil {
			continue
		}
		next := &run.RolloutRequest{Step: a.Step, Problems: a.Problems, GroupSize: req.GroupSize, RNG: a.RNG,
			Version: req.Version, Staleness: req.Staleness}
		if l.pending[a.Step], err = l.publish(next, 0); err != nil {
			return nil, err
		}
	}
	var m episodesMsg
	select {
	case m = <-ch:
	case <-l.ctx.Done():
		return nil, l.ctx.Err()
	}
	if err := l.fetchReply(&m); err != nil {
		return nil, err
	}
	for j, e := range m.Reply.Episodes {
		if j/req.GroupSize < len(req.Problems) {
			e.Problem = req.Problems[j/req.GroupSize]
		}
	}
	l.WorkerSeconds += m.Seconds
	l.WorkerSample += m.Sample
	l.Requests++
	l.Wait += time.Since(t0).Seconds()
	return m.Reply, nil
}

// fetchReply completes a worker's answer: the reply from the object
// store when it was too big for a message; an error when it failed.
func (l *Learner) fetchReply(m *episodesMsg) error {
	if m.Error == "" && m.Object != "" {
		b, err := retry(l.ctx, func() ([]byte, error) { return getBlob(l.ctx, l.store, m.Object) })
		if err == nil {
			err = json.Unmarshal(b, &m.Reply)
		}
		if err != nil {
			return fmt.Errorf("episodes from worker %s: %w", m.Worker, err)
		}
		l.store.Delete(l.ctx, m.Object)
	}
	if m.Error != "" {
		return fmt.Errorf("worker %s: %s", m.Worker, m.Error)
	}
	if m.Reply == nil {
		return fmt.Errorf("worker %s: no episodes", m.Worker)
	}
	return nil
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
			if _, cerr := js.Consumer(ctx, RolloutStream, RolloutConsumer+"-"+runID); errors.Is(cerr, jetstream.ErrConsumerNotFound) {
				fmt.Fprintf(o.Log, "rollout worker %s: run %s finished\n", o.Name, runID)
				return nil
			}
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
	if err := loadWeights(ctx, store, w, j.Req); err != nil {
		ans.Error = err.Error()
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

// loadWeights gives the worker the weights a job asks for: exactly its
// Version when synchronous, else the newest published (at least Version;
// a version deleted while being read sends it to the newest again).
func loadWeights(ctx context.Context, store jetstream.ObjectStore, w *run.RolloutWorker, req *run.RolloutRequest) error {
	want := req.Version
	for attempt := 0; ; attempt++ {
		if req.Staleness > 0 && !req.Exact {
			s, err := retry(ctx, func() ([]byte, error) { return getBlob(ctx, store, latestObject) })
			if err != nil {
				return fmt.Errorf("newest weights: %w", err)
			}
			v, err := strconv.Atoi(string(s))
			if err != nil {
				return fmt.Errorf("newest weights: %q: %w", s, err)
			}
			want = max(v, req.Version)
		}
		if w.Version() == want {
			return nil
		}
		b, err := getBlob(ctx, store, weightsObject(want))
		if err == nil {
			return w.SetWeights(want, b)
		}
		if attempt >= 100 || ctx.Err() != nil || (!errNotFound(err) && attempt >= 10) {
			return fmt.Errorf("weights %d: %w", want, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
