package task

import (
	"fmt"
	"strings"
)

// ChainReference is the reference worked solution of a chain question:
// every intermediate result as a line ("7+3=10", "10*2=20") and the final
// answer (the answer line is the template's prefix and it).
func ChainReference(question string) (steps []string, answer string, err error) {
	v, ops, args, err := parseChain(question)
	if err != nil {
		return nil, "", err
	}
	for i, op := range ops {
		nv := apply(v, op, args[i])
		steps = append(steps, fmt.Sprintf("%d%c%d=%d", v, op, args[i], nv))
		v = nv
	}
	return steps, fmt.Sprint(v), nil
}

// ChainLines splits a completion into its lines (a final newline ends the
// last line; it does not start an empty one).
func ChainLines(completion string) []string {
	lines := strings.Split(completion, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	return lines
}

// ChainFirstError locates the first wrong line of a completion of a chain
// question against the reference solution, the well-defined "first error"
// of the self-correction methods (InT, Agent-R). Line k is right when it
// equals reference step k (white space ignored), or when it is an answer
// line (starting with prefix's marker, "####") with the right answer, which
// ends the check: a completion that reaches the right answer through
// correct lines only (either style: all steps, or the answer alone) has no
// error and gives -1. Otherwise the result is the index of the first line
// that is neither, or len(lines) when the lines run out before an answer
// line; fix is the line that should stand there: reference step k, or the
// answer line once the steps are used up.
func ChainFirstError(question, answer, completion, prefix string) (at int, fix string, err error) {
	steps, _, err := ChainReference(question)
	if err != nil {
		return 0, "", err
	}
	marker := strings.TrimSpace(prefix)
	ansLine := prefix + answer
	lines := ChainLines(completion)
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	for k, line := range lines {
		if marker != "" && strings.HasPrefix(strings.TrimSpace(line), marker) {
			if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), marker)) == answer {
				return -1, "", nil
			}
		} else if k < len(steps) && squash(line) == steps[k] {
			continue
		}
		if k < len(steps) {
			return k, steps[k], nil
		}
		return k, ansLine, nil
	}
	if len(lines) < len(steps) {
		return len(lines), steps[len(lines)], nil
	}
	return len(lines), ansLine, nil
}
