package nn

import "fmt"

// EmbeddingForward copies row tokens[i] of the table W [vocab, d] into
// out[i]. It returns an error naming the position of a token outside the
// vocabulary.
func EmbeddingForward(out, w []float32, tokens []int32, vocab, d int) error {
	for i, tok := range tokens {
		if tok < 0 || int(tok) >= vocab {
			return fmt.Errorf("token %d at position %d is outside the vocabulary [0, %d)", tok, i, vocab)
		}
		copy(out[i*d:(i+1)*d], w[int(tok)*d:(int(tok)+1)*d])
	}
	return nil
}

// EmbeddingBackward accumulates dW[tokens[i]] += dout[i].
func EmbeddingBackward(dw, dout []float32, tokens []int32, d int) {
	for i, tok := range tokens {
		row := dw[int(tok)*d : (int(tok)+1)*d]
		for j, g := range dout[i*d : (i+1)*d] {
			row[j] += g
		}
	}
}
