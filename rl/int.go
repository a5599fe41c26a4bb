package rl

import (
	"fmt"
	"strings"
)

// InT (Intervention Training; card C1 of shared/cards/cards-C.md, code
// intervention-training/int, arXiv 2601.14209): outcome RL gives one sign
// to every step of a trace; InT gets step-level credit without a process
// reward model. On the model's own *failed* attempts the first critical
// error is located (step t*) and a one-step intervention ỹ_{t*} replaces
// it; the model is fine-tuned on the guided attempt, the correct prefix and
// the intervention, and ordinary outcome RL starts from that model:
//
//	L_SFT = − [ Σ_{t < t*} log π(y_t | x, y_{<t}) + log π(ỹ_{t*} | x, y_{<t*}) ]
//
// (paper Eq. 2; sums over the tokens of each step; the suffix after the
// intervention is not trained and, by default, no end token follows it:
// the continuation is left to RL). The guided attempt of a failed attempt
// split into steps s_1..s_T with intervention (C, L) is s_1..s_{L−1}, C
// (steps L..T dropped; L = 1 gives C alone). Interventions that contain
// the final-answer pattern are dropped (oracle leakage, LeakFilter), and
// with KGuide > 0 a guided attempt is kept only when at least
// MinGuidedSuccesses of KGuide continuations sampled from it reach the
// right answer.
//
// Where the paper prompts the base model with the reference solution to
// find t* and write ỹ, a tiny model trained from scratch has no such
// skill, so both are knobs (CHOICE): Locate "model" takes t* as the first
// step whose line differs from the model's own greedy re-derivation of it
// from the attempt's prefix (self-verification by recomputation), Locate
// "verifier" as the first line that leaves the reference solution (the
// verifier-checked fallback, task.ChainFirstError); Propose "model"
// samples the intervention from the model at the prefix (KInterventions
// samples, the first that differs from the wrong step, is no leak and
// passes the filter), Propose "reference" takes the reference solution's
// step (the card's oracle upper bound).
//
// SFTTarget (card knob): prefix_int (InT), prefix_only (s_1..s_{t*−1}),
// prefix_int_suffix (the guided attempt and a successful continuation, with
// the end token), full_reference (the problem's reference solution with
// the end token: the plain-SFT control at the same SFT budget). Hard set:
// the problems with no correct attempt out of KAttempts (HardOnly).
type InT struct {
	Problems           int     `yaml:"problems"`             // training problems drawn for the hard set
	KAttempts          int     `yaml:"k_attempts"`           // attempts per problem
	HardOnly           bool    `yaml:"hard_only"`            // keep only problems with 0 of k_attempts right
	Temperature        float32 `yaml:"temperature"`          // sampling temperature of attempts, interventions, continuations
	Locate             string  `yaml:"locate"`               // model | verifier
	Propose            string  `yaml:"propose"`              // model | reference
	KInterventions     int     `yaml:"k_interventions"`      // intervention samples per failed attempt (propose: model)
	KGuide             int     `yaml:"k_guide"`              // continuations of a guided attempt (0: no correctness filter)
	MinGuidedSuccesses int     `yaml:"min_guided_successes"` // right continuations needed to keep a guided attempt
	LeakFilter         bool    `yaml:"leak_filter"`          // drop interventions holding the answer line
	KeepPerProblem     string  `yaml:"keep_per_problem"`     // all | one
	SFTTarget          string  `yaml:"sft_target"`           // prefix_int | prefix_only | prefix_int_suffix | full_reference
	AppendEOS          bool    `yaml:"append_eos"`           // end prefix_int / prefix_only rows with the end token
	SFTSteps           int     `yaml:"sft_steps"`            // SFT steps on the collected rows
	SFTBatch           int     `yaml:"sft_batch"`            // rows per SFT step
	SFTLR              float64 `yaml:"sft_lr"`               // SFT learning rate (cosine to 0.1×, no warm-up)
}

// Validate checks the knobs.
func (c InT) Validate() error {
	switch {
	case c.Problems <= 0 || c.KAttempts <= 0:
		return fmt.Errorf("problems and k_attempts must be positive")
	case c.Locate != "model" && c.Locate != "verifier":
		return fmt.Errorf("locate %q: want model or verifier", c.Locate)
	case c.Propose != "model" && c.Propose != "reference":
		return fmt.Errorf("propose %q: want model or reference", c.Propose)
	case c.Propose == "model" && c.KInterventions <= 0:
		return fmt.Errorf("propose model needs k_interventions > 0")
	case c.KGuide < 0 || c.MinGuidedSuccesses < 0:
		return fmt.Errorf("k_guide and min_guided_successes must be >= 0")
	case c.KeepPerProblem != "all" && c.KeepPerProblem != "one":
		return fmt.Errorf("keep_per_problem %q: want all or one", c.KeepPerProblem)
	case c.SFTSteps < 0 || c.SFTBatch <= 0 || c.SFTLR < 0:
		return fmt.Errorf("sft_steps must be >= 0, sft_batch > 0, sft_lr >= 0")
	case c.Temperature <= 0:
		return fmt.Errorf("temperature must be positive")
	}
	switch c.SFTTarget {
	case "prefix_int", "prefix_only", "prefix_int_suffix", "full_reference":
	default:
		return fmt.Errorf("sft_target %q: want prefix_int, prefix_only, prefix_int_suffix or full_reference", c.SFTTarget)
	}
	if c.SFTTarget == "prefix_int_suffix" && c.KGuide == 0 {
		return fmt.Errorf("sft_target prefix_int_suffix takes its suffix from the k_guide continuations: needs k_guide > 0")
	}
	return nil
}

// GuidedAttempt is the failed attempt's steps before location L (1-based)
// joined by delim, then the intervention: steps[0:L−1] ⊕ delim ⊕ content,
// or content alone when L = 1 (parse_interventions.ipynb).
func GuidedAttempt(steps []string, location int, content, delim string) (string, error) {
	if location < 1 || location > len(steps)+1 {
		return "", fmt.Errorf("intervention location %d outside 1..%d", location, len(steps)+1)
	}
	if location == 1 {
		return content, nil
	}
	return strings.Join(steps[:location-1], delim) + delim + content, nil
}

// Leaks reports whether an intervention contains the final-answer pattern
// (the answer line, e.g. "#### 825"; the card's tiny-scale leak filter:
// the pattern, not the bare digits, which short numbers collide with).
func Leaks(content, answerPattern string) bool {
	return answerPattern != "" && strings.Contains(content, answerPattern)
}

// KeepGuided is the correctness filter: keep a guided attempt when at least
// min of its continuations' rewards are positive.
func KeepGuided(rewards []float64, min int) bool {
	n := 0
	for _, r := range rewards {
		if r > 0 {
			n++
		}
	}
	return n >= min
}

// NLL is the SFT loss of response tokens' log-probs: their sum and their
// token mean (the mean is what a step minimises, the loop's lmStage
// convention).
func NLL(logps []float64) (sum, mean float64) {
	for _, lp := range logps {
		sum -= lp
	}
	if len(logps) == 0 {
		return 0, 0
	}
	return sum, sum / float64(len(logps))
}
