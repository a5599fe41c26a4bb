package control

import (
	"fmt"
	"maps"
	"slices"

	"github.com/autodidact-rl/autodidact/control/env"
)

// Succeeder is an environment whose episodes can end in a success
// (env.Driving: the end of the route reached without an infraction).
type Succeeder interface {
	env.Env
	// Succeeded reports whether the step that just terminated the episode
	// was a success.
	Succeeded() bool
}

// SparseSuccess wraps a Succeeder into a sparse-reward task: reward 1 on
// the step that ends an episode in success, 0 on every other step;
// observations, termination and truncation are the wrapped environment's.
// An episode's return is thus 1 for a success and 0 for a failure.
type SparseSuccess struct{ Succeeder }

// Step steps the wrapped environment and replaces its reward.
func (s SparseSuccess) Step(a []float64) env.Step {
	st := s.Succeeder.Step(a)
	st.Reward = 0
	if st.Terminated && s.Succeeded() {
		st.Reward = 1
	}
	return st
}

// sparseEnvs are the sparse-success environments control registers, by
// the Driving task they wrap: DrivingSparse-v0 is Driving-v0's route (80
// m, four obstacles), which a policy from scratch never completes;
// DrivingSparseShort-v0 (CHOICE, for the SRPO study) is a 20 m route
// without obstacles, which a uniform-random-mean Gaussian policy (mean 0,
// std 1, PPO's initial one) completes in about 18% of its episodes.
var sparseEnvs = map[string]env.Driving{
	"DrivingSparse-v0":      {},
	"DrivingSparseShort-v0": {Segments: 10, NoObstacles: true},
}

func init() {
	for name, d := range sparseEnvs {
		if err := env.Register(name, func() env.Env { return SparseSuccess{&env.Driving{Segments: d.Segments, NoObstacles: d.NoObstacles}} }); err != nil {
			panic(err) // two registrations of one name: a programming error
		}
	}
}

// IsSparse reports whether envName is one of the sparse-success
// environments (whose episode return is 1 for a success, 0 otherwise).
func IsSparse(envName string) bool {
	_, ok := sparseEnvs[envName]
	return ok
}

// SparseEnvs lists the sparse-success environments.
func SparseEnvs() []string { return slices.Sorted(maps.Keys(sparseEnvs)) }

// checkSparse is the error for a method that needs a sparse-success
// environment.
func checkSparse(method, envName string) error {
	if IsSparse(envName) {
		return nil
	}
	return fmt.Errorf("%s needs a sparse-success environment (%v), not %s", method, SparseEnvs(), envName)
}
