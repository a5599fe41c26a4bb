package task

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

func init() {
	register("gridwalk", func(p map[string]any) (Task, error) {
		t := &GridWalk{Size: 5, Order: "cadb", MinDemo: 2, MaxDemo: 3, MaxMoves: 40, Solver: "reference"}
		if err := decodeParams("gridwalk", p, t); err != nil {
			return nil, err
		}
		if err := t.validate(); err != nil {
			return nil, err
		}
		return t, nil
	})
}

// gridCells are the names of the coloured cells, in prompt order.
const gridCells = "abcd"

// GridWalk is the grid walk of Internal RL's tiny analog (card D9): a
// Size×Size grid with a start cell s and four coloured cells a–d, all
// distinct, written as "s22a12b40c33d04" (x then y of each, x to the
// right, y up). A completion is a walk of moves R (x+1), L (x−1), U (y+1),
// D (y−1), one character each, after the answer line's "#### "; a move
// off the grid leaves the walker where it is (CHOICE). Entering a cell
// visits it, passing through included.
//
// The reward is sparse and terminal: 1 iff the walk, within MaxMoves
// moves, visits the coloured cells for the first time in the hidden Order
// (default c→a→d→b; it is not in the prompt), all of them; 0 otherwise.
// The reference answer is a shortest such walk.
//
// The solver (Steps) writes the reference walk, or with Solver "expert"
// (Internal RL's pretraining data) something else on purpose: a
// shortest-path expert walk to a random ordered subset of
// MinDemo–MaxDemo of the cells, each leg's x and y moves interleaved at
// random, with no marker of which cell is the current target; none of it
// reveals the hidden order. A model pretrained on it walks to subgoals
// but has never been shown the rewarded four-cell sequence: the sparse
// reward that token-level RL struggles with and that a controller
// choosing subgoals can find.
type GridWalk struct {
	Size     int    `json:"size"`      // grid side (2..9: one digit per coordinate)
	Order    string `json:"order"`     // the hidden order, a permutation of "abcd"
	MinDemo  int    `json:"min_demo"`  // fewest cells an expert walk visits (1..4)
	MaxDemo  int    `json:"max_demo"`  // most cells an expert walk visits (min_demo..4)
	MaxMoves int    `json:"max_moves"` // moves the reward counts
	Solver   string `json:"solver"`    // reference (the rewarded walk) or expert (walks to 2-3 cells)
}

func (t *GridWalk) validate() error {
	if t.Size < 2 || t.Size > 9 {
		return fmt.Errorf("task gridwalk: size %d: want 2..9", t.Size)
	}
	if len(t.Order) != len(gridCells) {
		return fmt.Errorf("task gridwalk: order %q: want a permutation of %q", t.Order, gridCells)
	}
	for _, c := range gridCells {
		if strings.Count(t.Order, string(c)) != 1 {
			return fmt.Errorf("task gridwalk: order %q: want a permutation of %q", t.Order, gridCells)
		}
	}
	if t.MinDemo < 1 || t.MaxDemo < t.MinDemo || t.MaxDemo > len(gridCells) {
		return fmt.Errorf("task gridwalk: need 1 <= min_demo <= max_demo <= 4")
	}
	if t.Solver != "reference" && t.Solver != "expert" {
		return fmt.Errorf("task gridwalk: solver %q: want reference or expert", t.Solver)
	}
	if t.MaxMoves < 1 {
		return fmt.Errorf("task gridwalk: max_moves %d: want >= 1", t.MaxMoves)
	}
	if t.Size*t.Size < len(gridCells)+1 {
		return fmt.Errorf("task gridwalk: size %d has no room for 5 distinct cells", t.Size)
	}
	return nil
}

func (*GridWalk) Name() string { return "gridwalk" }
func (*GridWalk) Description() string {
	return "grid walk to four coloured cells in a hidden order, sparse reward; expert walks to 2-3 cells for pretraining (size, order, min_demo, max_demo, max_moves)"
}

// gridPos is a cell of the grid.
type gridPos struct{ x, y int }

// Draw places the start and the four cells at distinct random positions
// (again while no walk of at most MaxMoves moves earns the reward).
func (t *GridWalk) Draw(r *rand.Rand) Problem {
	for {
		if p, ok := t.draw(r); ok {
			return p
		}
	}
}

func (t *GridWalk) draw(r *rand.Rand) (Problem, bool) {
	used := map[gridPos]bool{}
	var q strings.Builder
	var cells [5]gridPos
	for i := range cells {
		p := gridPos{r.IntN(t.Size), r.IntN(t.Size)}
		for used[p] {
			p = gridPos{r.IntN(t.Size), r.IntN(t.Size)}
		}
		used[p] = true
		cells[i] = p
		name := byte('s')
		if i > 0 {
			name = gridCells[i-1]
		}
		fmt.Fprintf(&q, "%c%d%d", name, p.x, p.y)
	}
	p := Problem{Question: q.String()}
	w, ok := t.reference(cells)
	p.Answer, p.Difficulty = w, len(w)
	return p, ok && len(w) <= t.MaxMoves
}

// reference is a shortest walk that enters the cells first in the hidden
// order: each leg a breadth-first shortest path (moves tried R, L, U, D)
// that avoids the coloured cells not yet due.
func (t *GridWalk) reference(cells [5]gridPos) (string, bool) {
	blocked := map[gridPos]bool{}
	for _, c := range cells[1:] {
		blocked[c] = true
	}
	var b strings.Builder
	at := cells[0]
	for _, g := range t.targets(cells, t.Order) {
		delete(blocked, g)
		leg, ok := t.path(at, g, blocked)
		if !ok {
			return "", false
		}
		b.WriteString(leg)
		at = g
	}
	return b.String(), true
}

// path is a shortest move string from a to g that never enters blocked.
func (t *GridWalk) path(a, g gridPos, blocked map[gridPos]bool) (string, bool) {
	type step struct {
		from gridPos
		move byte
	}
	prev := map[gridPos]step{a: {}}
	queue := []gridPos{a}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == g {
			var out []byte
			for p != a {
				s := prev[p]
				out = append([]byte{s.move}, out...)
				p = s.from
			}
			return string(out), true
		}
		for _, m := range []struct {
			c      byte
			dx, dy int
		}{{'R', 1, 0}, {'L', -1, 0}, {'U', 0, 1}, {'D', 0, -1}} {
			n := gridPos{p.x + m.dx, p.y + m.dy}
			if _, seen := prev[n]; seen || blocked[n] || n.x < 0 || n.x >= t.Size || n.y < 0 || n.y >= t.Size {
				continue
			}
			prev[n] = step{p, m.c}
			queue = append(queue, n)
		}
	}
	return "", false
}

// parse reads the start and the cells of a question.
func (t *GridWalk) parse(q string) (cells [5]gridPos, ok bool) {
	if len(q) != 15 {
		return cells, false
	}
	for i := range cells {
		name, x, y := q[3*i], int(q[3*i+1]-'0'), int(q[3*i+2]-'0')
		want := byte('s')
		if i > 0 {
			want = gridCells[i-1]
		}
		if name != want || x < 0 || x >= t.Size || y < 0 || y >= t.Size {
			return cells, false
		}
		cells[i] = gridPos{x, y}
	}
	return cells, true
}

// targets lists the positions of the named cells in order.
func (t *GridWalk) targets(cells [5]gridPos, order string) []gridPos {
	out := make([]gridPos, len(order))
	for i := range order {
		out[i] = cells[1+strings.IndexByte(gridCells, order[i])]
	}
	return out
}

// walk writes a shortest walk from start through the targets in order,
// each leg's x and y moves interleaved at random (an expert walk).
func (t *GridWalk) walk(start gridPos, targets []gridPos, r *rand.Rand) string {
	var b strings.Builder
	at := start
	for _, g := range targets {
		var leg []byte
		for x := at.x; x != g.x; {
			if g.x > x {
				leg, x = append(leg, 'R'), x+1
			} else {
				leg, x = append(leg, 'L'), x-1
			}
		}
		for y := at.y; y != g.y; {
			if g.y > y {
				leg, y = append(leg, 'U'), y+1
			} else {
				leg, y = append(leg, 'D'), y-1
			}
		}
		r.Shuffle(len(leg), func(i, j int) { leg[i], leg[j] = leg[j], leg[i] })
		b.Write(leg)
		at = g
	}
	return b.String()
}

// Steps writes the walk as the answer (no steps): the reference, or an
// expert walk with Solver "expert". The "arith" error turns one move of
// the reference into another (the rest of the walk is then displaced).
func (t *GridWalk) Steps(p Problem, r *rand.Rand, kind string) ([]string, string) {
	cells, ok := t.parse(p.Question)
	if !ok {
		return nil, ""
	}
	if t.Solver == "expert" {
		k := t.MinDemo + r.IntN(t.MaxDemo-t.MinDemo+1)
		order := []byte(gridCells)
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		return nil, t.walk(cells[0], t.targets(cells, string(order[:k])), r)
	}
	w := []byte(p.Answer)
	if kind == "arith" && len(w) > 0 {
		i := r.IntN(len(w))
		others := strings.ReplaceAll("RLUD", string(w[i]), "")
		w[i] = others[r.IntN(len(others))]
	}
	return nil, string(w)
}

// Visits returns the coloured cells in the order the walk first enters
// them, and the number of moves read (at most MaxMoves; reading stops at
// the first character that is not a move).
func (t *GridWalk) Visits(question, walk string) (order string, moves int, ok bool) {
	cells, ok := t.parse(question)
	if !ok {
		return "", 0, false
	}
	at := cells[0]
	seen := map[byte]bool{}
	var out []byte
	for _, c := range []byte(walk) {
		if moves >= t.MaxMoves {
			break
		}
		next := at
		switch c {
		case 'R':
			next.x++
		case 'L':
			next.x--
		case 'U':
			next.y++
		case 'D':
			next.y--
		default:
			return string(out), moves, true
		}
		moves++
		if next.x >= 0 && next.x < t.Size && next.y >= 0 && next.y < t.Size {
			at = next
		}
		for i, g := range cells[1:] {
			if g == at && !seen[gridCells[i]] {
				seen[gridCells[i]] = true
				out = append(out, gridCells[i])
			}
		}
	}
	return string(out), moves, true
}

// Grade reads the walk after the last "####" and rewards the hidden order.
func (t *GridWalk) Grade(p Problem, completion string) Reward {
	marker := strings.TrimSpace(DefaultTemplate.AnswerPrefix)
	i := strings.LastIndex(completion, marker)
	if i < 0 {
		return Reward{}
	}
	w := strings.TrimSpace(completion[i+len(marker):])
	if j := strings.IndexByte(w, '\n'); j >= 0 {
		w = w[:j]
	}
	rw := Reward{FormatOK: true, Pred: w}
	if order, _, ok := t.Visits(p.Question, w); ok && order == t.Order {
		rw.Correct, rw.Reward = true, 1
	}
	return rw
}
