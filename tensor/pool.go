package tensor

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

// Ranger is a unit of parallel work over the index range [lo, hi).
//
// Hot kernels implement Ranger on a struct that is allocated once and whose
// fields are set before each call, so that a parallel loop allocates nothing.
type Ranger interface {
	Range(lo, hi int)
}

// RangeFunc adapts a function to Ranger. A closure that captures variables
// allocates when it is passed to For; use it outside hot loops.
type RangeFunc func(lo, hi int)

// Range calls f(lo, hi).
func (f RangeFunc) Range(lo, hi int) { f(lo, hi) }

type job struct {
	r      Ranger
	lo, hi int
	done   *sync.WaitGroup
}

// pool is a fixed set of worker goroutines; worker 0 is the caller.
type pool struct {
	threads int
	work    []chan job
	busy    sync.Mutex // For is not re-entrant: nested calls run serially
	wg      sync.WaitGroup
}

var (
	poolMu  sync.Mutex
	current *pool
)

// ThreadsEnv is the environment variable that sets the default thread count.
const ThreadsEnv = "AUTODIDACT_THREADS"

func init() {
	n := runtime.NumCPU()
	if s := os.Getenv(ThreadsEnv); s != "" {
		if v, err := strconv.Atoi(s); err == nil && v > 0 {
			n = v
		} else {
			fmt.Fprintf(os.Stderr, "autodidact: ignoring %s=%q: want a positive integer\n", ThreadsEnv, s)
		}
	}
	current = newPool(n)
}

func newPool(n int) *pool {
	p := &pool{threads: n, work: make([]chan job, n)}
	for i := 1; i < n; i++ {
		ch := make(chan job)
		p.work[i] = ch
		go func() {
			for j := range ch {
				j.r.Range(j.lo, j.hi)
				j.done.Done()
			}
		}()
	}
	return p
}

// SetThreads sets the number of threads used by parallel kernels. Results are
// deterministic for a given thread count. It must not be called while a
// parallel kernel runs.
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	poolMu.Lock()
	defer poolMu.Unlock()
	if current.threads == n {
		return
	}
	for _, ch := range current.work[1:] {
		close(ch)
	}
	current = newPool(n)
}

// Threads reports the number of threads used by parallel kernels.
func Threads() int { return current.threads }

// For splits [0, n) into at most Threads() contiguous chunks of at least
// grain indices each and runs r.Range on them in parallel, returning when all
// are done. The split depends only on n, grain and the thread count, so
// results are reproducible. A call made while another For is running (from
// inside a Range) runs serially in the calling goroutine.
func For(n, grain int, r Ranger) {
	if n <= 0 {
		return
	}
	p := current
	chunks := p.threads
	if grain < 1 {
		grain = 1
	}
	if m := (n + grain - 1) / grain; m < chunks {
		chunks = m
	}
	if chunks <= 1 || !p.busy.TryLock() {
		r.Range(0, n)
		return
	}
	defer p.busy.Unlock()
	wg := &p.wg
	wg.Add(chunks - 1)
	for c := 1; c < chunks; c++ {
		lo, hi := c*n/chunks, (c+1)*n/chunks
		p.work[c] <- job{r: r, lo: lo, hi: hi, done: wg}
	}
	r.Range(0, n/chunks)
	wg.Wait()
}

// freeList keeps buffers for reuse across goroutines. Unlike sync.Pool it
// never drops a buffer and has no per-processor private slot that another
// processor cannot reach, so once as many buffers exist as there are
// concurrent users, get allocates nothing (the training step's no-
// allocation guarantee depends on it).
type freeList[T any] struct {
	free chan *T
	new  func() *T
}

// newFreeList holds up to capacity idle buffers made by mk.
func newFreeList[T any](capacity int, mk func() *T) *freeList[T] {
	return &freeList[T]{free: make(chan *T, capacity), new: mk}
}

// get returns an idle buffer, or a new one when none is idle.
func (f *freeList[T]) get() *T {
	select {
	case x := <-f.free:
		return x
	default:
		return f.new()
	}
}

// put returns a buffer for reuse (dropped when the list is full).
func (f *freeList[T]) put(x *T) {
	select {
	case f.free <- x:
	default:
	}
}
