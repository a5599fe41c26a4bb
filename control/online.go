package control

import (
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/autodidact-rl/autodidact/control/env"
)

// onlineAgent is an off-policy learner driven by runOnline.
type onlineAgent interface {
	// explore is the behaviour action once random actions are over.
	explore(obs []float32) []float64
	// update is one gradient step on a batch; step is the env step.
	update(b batch, step int)
	// report returns the metrics and log line of a logging step and
	// resets the loss accumulators.
	report(done int, episodeReturn float64) (map[string]any, string)
	save(s *trainState)
	load(s *trainState) error
}

// onlineLoop is the environment loop of the online off-policy learners:
// uniform random actions for the first randomUntil steps, the agent's
// afterwards; utd updates per step from step updateFrom on, each on a
// fresh uniform batch of the replay buffer (terminal transitions do not
// bootstrap, time-limit truncations do); episodes reset with seed
// seed*1_000_003 + episode; metrics every logEvery steps; a checkpoint
// every ck.every steps.
type onlineLoop struct {
	envName                 string
	seed                    uint64
	steps, buffer, batch    int
	randomUntil, updateFrom int
	utd, logEvery           int
	pcg                     *rand.PCG
	r                       *rand.Rand
	buf                     *transitions          // nil: a new one of min(buffer, steps)
	wrap                    func(env.Env) env.Env // nil: the environment as made
}

func runOnline(l onlineLoop, ag onlineAgent, ck *ckpt, log io.Writer, metrics func(map[string]any)) error {
	e, err := env.Make(l.envName)
	if err != nil {
		return err
	}
	if l.wrap != nil {
		e = l.wrap(e)
	}
	box, err := boxOfEnv(e, l.envName)
	if err != nil {
		return err
	}
	buf := l.buf
	if buf == nil {
		buf = newTransitions(max(1, min(l.buffer, l.steps)), box.od, box.ad)
	}
	utd := max(1, l.utd)
	var (
		episode uint64
		ret     float64
		recent  []float64
		actions [][]float64
		first   int
	)
	seedOf := func(ep uint64) uint64 { return l.seed*1_000_003 + ep }
	obs := e.Reset(seedOf(0))
	if ck != nil && ck.resume != nil {
		s := ck.resume
		if err := ag.load(s); err != nil {
			return err
		}
		if err := s.restoreRNG(l.pcg); err != nil {
			return err
		}
		if err := buf.restore(s.Buf); err != nil {
			return err
		}
		if len(s.Envs) != 1 {
			return fmt.Errorf("checkpoint: want one environment, have %d", len(s.Envs))
		}
		episode, recent, first = uint64(s.Ints["episode"]), s.Recent, s.Step
		es := s.Envs[0]
		obs = e.Reset(es.Seed)
		for _, a := range es.Actions {
			obs = e.Step(a).Obs
		}
		ret, actions = es.Return, es.Actions
	}
	for step := first; step < l.steps; step++ {
		var a []float64
		if step < l.randomUntil {
			a = make([]float64, box.ad)
			for d := range a {
				a[d] = box.low[d] + (box.high[d]-box.low[d])*l.r.Float64()
			}
		} else {
			a = ag.explore(obs)
		}
		s := e.Step(a)
		buf.add(obs, s.Obs, a, s.Reward, s.Terminated)
		ret += s.Reward
		obs = s.Obs
		actions = append(actions, a)
		if s.Terminated || s.Truncated {
			recent = append(recent, ret)
			ret, actions = 0, nil
			episode++
			obs = e.Reset(seedOf(episode))
		}
		if step >= l.updateFrom {
			for u := 0; u < utd; u++ {
				ag.update(buf.sample(l.r, l.batch), step)
			}
		}
		done := step + 1
		if l.logEvery > 0 && done%l.logEvery == 0 {
			m, line := ag.report(done, meanLast(recent, 10))
			if metrics != nil {
				metrics(m)
			}
			if log != nil {
				fmt.Fprintln(log, line)
			}
		}
		if ck.due(done) && done < l.steps {
			st := newTrainState(ck.algo)
			ag.save(st)
			st.Step, st.Recent, st.Buf = done, recent, buf.state()
			st.Ints["episode"] = int(episode)
			st.Envs = []envState{{Seed: seedOf(episode), Actions: actions, Return: ret}}
			if err := ck.save(st, l.pcg); err != nil {
				return err
			}
		}
		if ck.stop(done) {
			return errStopped
		}
	}
	return nil
}
