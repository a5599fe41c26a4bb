package main

import (
	"io"
	"strings"
	"testing"
)

// --set reaches every algorithm's configuration: an unknown name is an
// error naming it, for online (ppo, sac) and offline algorithms alike.
func TestControlTrainSetUnknownName(t *testing.T) {
	for _, algo := range []string{"ppo", "sac", "td3bc"} {
		o := controlTrainOptions{algo: algo, env: "Pendulum-v1", seed: 1, episodes: 1, smoke: true,
			set: []string{"no_such_knob=1"}, out: t.TempDir()}
		err := controlTrain(o, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "no_such_knob") {
			t.Errorf("%s: err = %v, want one naming no_such_knob", algo, err)
		}
	}
}
