package rl

// GAE computes PPO's token-level advantages by Generalized Advantage
// Estimation over the generated tokens of one sequence:
//
//	delta_t = r_t + gamma * V_{t+1} - V_t,   A_t = delta_t + gamma * lambda * A_{t+1}
//
// with V after the last token = 0, and returns Ret = A + V (the value
// targets). Tokens outside the mask have already been dropped: rewards and
// values hold only generated tokens. Rewards are per token: the outcome
// score on the last token, plus any reward-side KL (-beta*(logp_old -
// logp_ref)) on every token. Advantages are whitened over the batch by the
// caller (WhitenTokens).
func GAE(rewards, values []float64, gamma, lambda float64) (adv, ret []float64) {
	L := len(rewards)
	adv, ret = make([]float64, L), make([]float64, L)
	var next, lastAdv float64
	for t := L - 1; t >= 0; t-- {
		delta := rewards[t] + gamma*next - values[t]
		lastAdv = delta + gamma*lambda*lastAdv
		adv[t] = lastAdv
		ret[t] = lastAdv + values[t]
		next = values[t]
	}
	return adv, ret
}

// WhitenTokens normalises token advantages over the whole batch to zero
// mean and unit std.
func WhitenTokens(adv [][]float64) { whiten(adv) }
