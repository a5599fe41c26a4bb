// Package rl holds the reinforcement-learning algebra of LM post-training:
// advantage estimators (GRPO, Dr.GRPO, RLOO, REINFORCE++, PPO with GAE),
// the clipped policy loss with clip-higher and dual-clip, loss aggregation
// modes, KL estimators and DAPO's dynamic sampling and overlong shaping.
// Each method lives in its own file with its card's equations (card 0 of
// shared/cards/cards-B.md). Everything works on plain per-sequence and
// per-token slices; the training loop (package run) hands the resulting
// per-token gradients to the model's Backward.
//
// Notation: a group is the G samples of one prompt; R_i is the outcome
// reward of sample i; m_{i,t} is the loss mask (1 on generated tokens);
// logp, logp_old, logp_ref are log-probs under the current, sampling and
// reference policies; rho = exp(logp - logp_old).
package rl
