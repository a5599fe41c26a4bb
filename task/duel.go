package task

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

func init() {
	register("duel", func(p map[string]any) (Task, error) {
		t := &Duel{Mix: []float64{0.55, 0.15, 0.15, 0.15}}
		if err := decodeParams("duel", p, t); err != nil {
			return nil, err
		}
		if len(t.Mix) != len(DuelMoves) {
			return nil, fmt.Errorf("task duel: mix needs %d weights (%s)", len(DuelMoves), strings.Join(DuelMoves, ", "))
		}
		var sum float64
		for _, w := range t.Mix {
			if w < 0 {
				return nil, fmt.Errorf("task duel: mix weights must be >= 0")
			}
			sum += w
		}
		if sum <= 0 {
			return nil, fmt.Errorf("task duel: mix weights must not all be 0")
		}
		return t, nil
	})
}

// Preference is implemented by tasks whose completions are compared in
// pairs rather than graded alone (preference games: SPO, INPO).
type Preference interface {
	// Prefer is P(a ≻ b | p) in [0, 1] for two completions of p's prompt:
	// 1 when a wins, 0 when b wins, 0.5 for a tie. Prefer(a, b) +
	// Prefer(b, a) = 1.
	Prefer(p Problem, a, b string) float64
	// Strategies are the pure strategies of p's game as completions, so a
	// policy's worst case min_s P(policy ≻ s) can be measured.
	Strategies(p Problem) []string
	// Class names the strategy a completion plays ("" when it plays none),
	// for the share of each strategy in a policy's samples.
	Class(completion string) string
}

// DuelMoves are the moves of the duel task, in the order of Duel.Mix.
var DuelMoves = []string{"rock", "paper", "scissors", "well"}

// duelBeats[i][j]: move i beats move j. Rock-paper-scissors-well: paper
// covers rock and well, scissors cut paper, rock blunts scissors, rock and
// scissors fall into the well.
var duelBeats = [4][4]bool{
	{false, false, true, false}, // rock beats scissors
	{true, false, false, true},  // paper beats rock, well
	{false, true, false, false}, // scissors beat paper
	{true, false, true, false},  // well beats rock, scissors
}

// Duel is a preference game with no Condorcet winner: the completion is a
// move of rock-paper-scissors-well ("#### paper"), and a completion is
// preferred to another by the game's rule; a completion without a move
// loses to any move and ties with another without one. The preference is
// non-transitive (paper ≻ well ≻ scissors ≻ paper), no move beats every
// other, and rock is dominated by well (well beats what rock beats, and
// rock too), so the game's unique Nash equilibrium (the Minimax Winner)
// is the mixture 1/3 paper, 1/3 scissors, 1/3 well, which wins with
// probability ≥ 1/2 against any policy and exactly 2/3 against rock.
//
// The question is an arbitrary table number ("duel 4711"): it carries no
// information, so a policy is the same mixed strategy on every prompt.
// The reference solver plays move i with probability Mix[i] (default
// 0.55 rock, 0.15 each other), so pretraining makes a reference policy
// that over-plays the dominated move and that the Nash mixture beats:
// P(Nash ≻ reference) = 0.55·2/3 + 0.45·1/2 = 0.592.
//
// Grade gives reward 1 (correct) to any completion that plays a move,
// so a verifier reward teaches nothing here: what a method learns comes
// from the preference.
type Duel struct {
	Mix []float64 `json:"mix"` // the reference solver's move probabilities, in DuelMoves order
}

func (*Duel) Name() string { return "duel" }
func (*Duel) Description() string {
	return "rock-paper-scissors-well preference game (no Condorcet winner; Nash 1/3 paper, scissors, well); mix: the reference solver's move weights"
}

// Draw makes a table number 0..99999: questions differ, the game does not.
func (*Duel) Draw(r *rand.Rand) Problem {
	return Problem{Question: fmt.Sprintf("duel %d", r.IntN(100000)), Answer: "move", Difficulty: 1}
}

// Steps plays a move drawn from Mix; there are no intermediate steps. An
// "arith" slip misspells the move (its last letter dropped), which plays
// no move.
func (t *Duel) Steps(_ Problem, r *rand.Rand, slip string) ([]string, string) {
	_, m := t.move(r)
	if slip == "arith" {
		m = m[:len(m)-1]
	}
	return nil, m
}

func (t *Duel) move(r *rand.Rand) (int, string) {
	var sum float64
	for _, w := range t.Mix {
		sum += w
	}
	u := r.Float64() * sum
	for i, w := range t.Mix {
		if u < w {
			return i, DuelMoves[i]
		}
		u -= w
	}
	return len(DuelMoves) - 1, DuelMoves[len(DuelMoves)-1]
}

// duelMove is the index of the move a completion plays, or -1: the text
// after the last "####" on its line, exactly one of DuelMoves.
func duelMove(completion string) int {
	i := strings.LastIndex(completion, "####")
	if i < 0 {
		return -1
	}
	rest := completion[i+4:]
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	rest = strings.TrimSpace(rest)
	for k, m := range DuelMoves {
		if rest == m {
			return k
		}
	}
	return -1
}

// Grade: reward 1 for a completion that plays a move.
func (*Duel) Grade(_ Problem, completion string) Reward {
	rw := Reward{FormatOK: strings.Contains(completion, "####")}
	if k := duelMove(completion); k >= 0 {
		rw.Pred, rw.Correct, rw.Reward = DuelMoves[k], true, 1
	}
	return rw
}

// Prefer is P(a ≻ b): 1, 0 or 0.5 by the rule of the game.
func (*Duel) Prefer(_ Problem, a, b string) float64 {
	i, j := duelMove(a), duelMove(b)
	switch {
	case i < 0 && j < 0, i == j:
		return 0.5
	case i < 0:
		return 0
	case j < 0:
		return 1
	case duelBeats[i][j]:
		return 1
	case duelBeats[j][i]:
		return 0
	}
	return 0.5
}

// Strategies are the four moves as completions.
func (*Duel) Strategies(Problem) []string {
	out := make([]string, len(DuelMoves))
	for i, m := range DuelMoves {
		out[i] = "#### " + m
	}
	return out
}

// Class is the move a completion plays, or "".
func (*Duel) Class(completion string) string {
	if k := duelMove(completion); k >= 0 {
		return DuelMoves[k]
	}
	return ""
}
