package control

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// suiteAlgo is an algorithm registered by its own file (bc, prdc, fdvl,
// recoil, arsq) instead of a case of RunBaseline's switch: whether it
// needs a dataset (offline), whether it accepts one (usesData: arsq
// learns online with an optional offline buffer), and how to run it
// from BaselineOptions (steps(def) applies o.Steps over a default).
type suiteAlgo struct {
	offline, usesData bool
	run               func(o BaselineOptions, steps func(int) int, dir string, evalEpisodes int, log io.Writer) (*Summary, error)
}

var suiteAlgos = map[string]suiteAlgo{}

// registerAlgo adds name to BaselineAlgos and RunBaseline.
func registerAlgo(name string, a suiteAlgo) {
	suiteAlgos[name] = a
	BaselineAlgos = append(BaselineAlgos, name)
}

// UsesDataset reports whether algo accepts --dataset (every offline
// algorithm, online ones with an offline buffer, and WSRL's pre-training).
func UsesDataset(algo string) bool {
	return IsOffline(algo) || suiteAlgos[algo].usesData || algo == "wsrl"
}

func init() {
	registerAlgo("bc", suiteAlgo{offline: true, usesData: true, run: func(o BaselineOptions, steps func(int) int, dir string, ev int, log io.Writer) (*Summary, error) {
		cfg := DefaultBC(o.Dataset)
		if o.Smoke {
			cfg = SmokeBC(o.Env)
		}
		cfg.Env, cfg.Dataset, cfg.Seed, cfg.Steps = o.Env, o.Dataset, o.Seed, steps(cfg.Steps)
		if err := ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("bc: %w", err)
		}
		return RunBC(cfg, dir, ev, log)
	}})
	registerAlgo("prdc", suiteAlgo{offline: true, usesData: true, run: func(o BaselineOptions, steps func(int) int, dir string, ev int, log io.Writer) (*Summary, error) {
		cfg := DefaultPRDC(o.Dataset)
		if o.Smoke {
			cfg = SmokePRDC(o.Env)
		}
		cfg.Env, cfg.Dataset, cfg.Seed, cfg.Steps = o.Env, o.Dataset, o.Seed, steps(cfg.Steps)
		if err := ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("prdc: %w", err)
		}
		return RunPRDC(cfg, dir, ev, log)
	}})
	registerAlgo("fdvl", suiteAlgo{offline: true, usesData: true, run: func(o BaselineOptions, steps func(int) int, dir string, ev int, log io.Writer) (*Summary, error) {
		cfg := DefaultFDVL(o.Dataset)
		if o.Smoke {
			cfg = SmokeFDVL(o.Env)
		}
		cfg.Env, cfg.Dataset, cfg.Seed, cfg.Steps = o.Env, o.Dataset, o.Seed, steps(cfg.Steps)
		if err := ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("fdvl: %w", err)
		}
		return RunFDVL(cfg, dir, ev, log)
	}})
	registerAlgo("recoil", suiteAlgo{offline: true, usesData: true, run: func(o BaselineOptions, steps func(int) int, dir string, ev int, log io.Writer) (*Summary, error) {
		cfg := DefaultReCOIL(o.Dataset, o.Expert)
		if o.Smoke {
			cfg = SmokeReCOIL(o.Env)
			cfg.Expert = o.Expert
		}
		cfg.Env, cfg.Dataset, cfg.Seed, cfg.Steps = o.Env, o.Dataset, o.Seed, steps(cfg.Steps)
		if err := ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("recoil: %w", err)
		}
		return RunReCOIL(cfg, dir, ev, log)
	}})
	registerAlgo("arsq", suiteAlgo{usesData: true, run: func(o BaselineOptions, steps func(int) int, dir string, ev int, log io.Writer) (*Summary, error) {
		cfg := DefaultARSQ(o.Env, o.Dataset)
		if o.Smoke {
			cfg = SmokeARSQ(o.Env)
			cfg.Dataset = o.Dataset
		}
		cfg.Seed, cfg.Steps = o.Seed, steps(cfg.Steps)
		cfg.LearningStart = min(cfg.LearningStart, cfg.Steps/2)
		if err := ApplySet(&cfg, o.Set); err != nil {
			return nil, fmt.Errorf("arsq: %w", err)
		}
		if cfg.Dataset != "" {
			envName, err := offlineEnv(cfg.Dataset, cfg.Env)
			if err != nil {
				return nil, fmt.Errorf("arsq: %w", err)
			}
			cfg.Env = envName
		}
		return RunARSQ(cfg, dir, ev, log)
	}})
}

// ApplySet overrides fields of the config cfg points to by their JSON
// names ("reward_scale=0.1", "hidden=[32,32]"): each value is parsed as
// JSON, or taken as a string when it is not JSON. An unknown name is an
// error.
func ApplySet(cfg any, set map[string]string) error {
	if len(set) == 0 {
		return nil
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	known := reflectJSONNames(cfg)
	for k, v := range set {
		if !slices.Contains(known, k) {
			sort.Strings(known)
			return fmt.Errorf("--set %s: no such setting (have %s)", k, strings.Join(known, ", "))
		}
		if json.Valid([]byte(v)) {
			fields[k] = json.RawMessage(v)
		} else {
			q, _ := json.Marshal(v)
			fields[k] = q
		}
	}
	raw, _ = json.Marshal(fields)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("--set: %w", err)
	}
	return nil
}

// reflectJSONNames lists the JSON field names of the struct cfg points to.
func reflectJSONNames(cfg any) []string {
	t := reflect.TypeOf(cfg).Elem()
	var names []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}
