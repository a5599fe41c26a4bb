#!/usr/bin/python3
"""SAC and TD3 gradient updates per second: autodidact against a CleanRL-style
PyTorch eager script with the same networks (256-256 ReLU, batch 256,
Pendulum-v1 shapes: observation 3, action 1), in the same run.

Usage (Debian's python3-torch):

    go build -o /tmp/ad ./cmd/autodidact
    /usr/bin/python3 scripts/control_speed.py --ad /tmp/ad [--rounds 3] [--updates 300]

Each round runs every PyTorch configuration (1 and 2 threads, each with the
default OpenMP wait policy and with OMP_WAIT_POLICY=PASSIVE; a fresh process
each, since the policy is read when torch loads) and autodidact with 1 and 2
threads, interleaved, so a busy machine slows both alike. It prints every
measurement, the best PyTorch configuration, and per round the ratio of
autodidact's best to PyTorch's best; the summary is the median over rounds.

The PyTorch side follows CleanRL's sac_continuous_action.py and
td3_continuous_action.py update code (twin critics as two modules, target
networks updated by a Python loop over parameters, the temperature loss's
extra actor forward in SAC); only the learner is timed, on a replay buffer
of random transitions, as `autodidact control speed` does.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import functools

print = functools.partial(print, flush=True)  # progress shows up in a log file

OBS, ACT, HID, BATCH = 3, 1, 256, 256

WORKER = r'''
import json, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
threads, algo, updates = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(1)
OBS, ACT, HID, B = %d, %d, %d, %d
N = 10000
obs = torch.randn(N, OBS); nxt = torch.randn(N, OBS)
act = torch.rand(N, ACT) * 4 - 2; rew = torch.randn(N); done = torch.zeros(N)
scale, bias = 2.0, 0.0

class Q(nn.Module):
    def __init__(s):
        super().__init__(); s.fc1 = nn.Linear(OBS + ACT, HID); s.fc2 = nn.Linear(HID, HID); s.fc3 = nn.Linear(HID, 1)
    def forward(s, x, a):
        x = torch.cat([x, a], 1); return s.fc3(F.relu(s.fc2(F.relu(s.fc1(x)))))

class SACActor(nn.Module):
    def __init__(s):
        super().__init__(); s.fc1 = nn.Linear(OBS, HID); s.fc2 = nn.Linear(HID, HID)
        s.fc_mean = nn.Linear(HID, ACT); s.fc_logstd = nn.Linear(HID, ACT)
    def forward(s, x):
        x = F.relu(s.fc2(F.relu(s.fc1(x))))
        ls = torch.tanh(s.fc_logstd(x)); ls = -5 + 0.5 * (2 - -5) * (ls + 1)
        return s.fc_mean(x), ls
    def get_action(s, x):
        mean, ls = s(x); std = ls.exp()
        normal = torch.distributions.Normal(mean, std); xt = normal.rsample(); yt = torch.tanh(xt)
        a = yt * scale + bias
        lp = normal.log_prob(xt) - torch.log(scale * (1 - yt.pow(2)) + 1e-6)
        return a, lp.sum(1, keepdim=True)

class TD3Actor(nn.Module):
    def __init__(s):
        super().__init__(); s.fc1 = nn.Linear(OBS, HID); s.fc2 = nn.Linear(HID, HID); s.fc_mu = nn.Linear(HID, ACT)
    def forward(s, x):
        return torch.tanh(s.fc_mu(F.relu(s.fc2(F.relu(s.fc1(x)))))) * scale + bias

qf1, qf2, qf1_t, qf2_t = Q(), Q(), Q(), Q()
qf1_t.load_state_dict(qf1.state_dict()); qf2_t.load_state_dict(qf2.state_dict())
q_opt = torch.optim.Adam(list(qf1.parameters()) + list(qf2.parameters()), lr=1e-3 if algo == "sac" else 3e-4)
gamma, tau = 0.99, 0.005

if algo == "sac":
    actor = SACActor(); a_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    target_entropy = -ACT; log_alpha = torch.zeros(1, requires_grad=True); alpha = log_alpha.exp().item()
    al_opt = torch.optim.Adam([log_alpha], lr=1e-3)
    def update(step):
        global alpha
        idx = torch.randint(0, N, (B,)); o, no, a, r, d = obs[idx], nxt[idx], act[idx], rew[idx], done[idx]
        with torch.no_grad():
            na, nlp = actor.get_action(no)
            mq = torch.min(qf1_t(no, na), qf2_t(no, na)) - alpha * nlp
            y = r + (1 - d) * gamma * mq.view(-1)
        l = F.mse_loss(qf1(o, a).view(-1), y) + F.mse_loss(qf2(o, a).view(-1), y)
        q_opt.zero_grad(); l.backward(); q_opt.step()
        if step %% 2 == 0:
            for _ in range(2):
                pi, lp = actor.get_action(o)
                al = ((alpha * lp) - torch.min(qf1(o, pi), qf2(o, pi))).mean()
                a_opt.zero_grad(); al.backward(); a_opt.step()
                with torch.no_grad():
                    _, lp = actor.get_action(o)
                alpha_loss = (-log_alpha.exp() * (lp + target_entropy)).mean()
                al_opt.zero_grad(); alpha_loss.backward(); al_opt.step(); alpha = log_alpha.exp().item()
        for p, tp in zip(qf1.parameters(), qf1_t.parameters()): tp.data.copy_(tau * p.data + (1 - tau) * tp.data)
        for p, tp in zip(qf2.parameters(), qf2_t.parameters()): tp.data.copy_(tau * p.data + (1 - tau) * tp.data)
else:
    actor, actor_t = TD3Actor(), TD3Actor(); actor_t.load_state_dict(actor.state_dict())
    a_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
    def update(step):
        idx = torch.randint(0, N, (B,)); o, no, a, r, d = obs[idx], nxt[idx], act[idx], rew[idx], done[idx]
        with torch.no_grad():
            noise = (torch.randn_like(a) * 0.2).clamp(-0.5, 0.5) * scale
            na = (actor_t(no) + noise).clamp(-2, 2)
            y = r + (1 - d) * gamma * torch.min(qf1_t(no, na), qf2_t(no, na)).view(-1)
        l = F.mse_loss(qf1(o, a).view(-1), y) + F.mse_loss(qf2(o, a).view(-1), y)
        q_opt.zero_grad(); l.backward(); q_opt.step()
        if step %% 2 == 0:
            al = -qf1(o, actor(o)).mean()
            a_opt.zero_grad(); al.backward(); a_opt.step()
            for net, tnet in ((actor, actor_t), (qf1, qf1_t), (qf2, qf2_t)):
                for p, tp in zip(net.parameters(), tnet.parameters()): tp.data.copy_(tau * p.data + (1 - tau) * tp.data)

for i in range(20):
    update(i)
t0 = time.perf_counter()
for i in range(updates):
    update(20 + i)
print(json.dumps({"updates_per_s": updates / (time.perf_counter() - t0)}))
''' % (OBS, ACT, HID, BATCH)


def torch_speed(threads, passive, algo, updates):
    envv = dict(os.environ)
    envv.pop("OMP_WAIT_POLICY", None)
    if passive:
        envv["OMP_WAIT_POLICY"] = "PASSIVE"
    out = subprocess.run([sys.executable, "-c", WORKER, str(threads), algo, str(updates)],
                         env=envv, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["updates_per_s"]


def ours(ad, threads, algo, updates):
    out = subprocess.run([ad, "control", "speed", "--algo", algo, "--threads", str(threads), "--updates", str(updates)],
                         check=True, capture_output=True, text=True).stdout
    # "sac Pendulum-v1 threads 1: 123.4 updates/s (OpenBLAS ...)"
    return float(out.split(":")[1].split()[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ad", default="/tmp/ad", help="the autodidact binary")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--updates", type=int, default=300)
    ap.add_argument("--algos", default="sac,td3")
    a = ap.parse_args()
    torch_cfgs = [(1, False), (1, True), (2, False), (2, True)]
    for algo in a.algos.split(","):
        ratios, best_torch_cfgs = [], []
        for rnd in range(a.rounds):
            t = {}
            g = {}
            # Interleave: torch 1, ours 1, torch 1 passive, ours 2, torch 2, ...
            for i, (th, passive) in enumerate(torch_cfgs):
                t[(th, passive)] = torch_speed(th, passive, algo, a.updates)
                gth = 1 + i % 2
                g.setdefault(gth, []).append(ours(a.ad, gth, algo, a.updates))
            g = {th: max(v) for th, v in g.items()}
            for (th, passive), v in t.items():
                print(f"{algo} round {rnd + 1}: pytorch threads {th}{' OMP_WAIT_POLICY=PASSIVE' if passive else ''}: {v:.1f} updates/s")
            for th, v in g.items():
                print(f"{algo} round {rnd + 1}: autodidact threads {th}: {v:.1f} updates/s (best of 2)")
            bt = max(t, key=t.get)
            bg = max(g, key=g.get)
            best_torch_cfgs.append(bt)
            ratios.append(g[bg] / t[bt])
            print(f"{algo} round {rnd + 1}: best pytorch = threads {bt[0]}{' PASSIVE' if bt[1] else ''} ({t[bt]:.1f}); "
                  f"best autodidact = threads {bg} ({g[bg]:.1f}); ratio {ratios[-1]:.2f}x")
        won = max(set(best_torch_cfgs), key=best_torch_cfgs.count)
        print(f"{algo}: PyTorch's winning configuration: threads {won[0]}{', OMP_WAIT_POLICY=PASSIVE' if won[1] else ''} "
              f"({best_torch_cfgs.count(won)}/{a.rounds} rounds); autodidact/PyTorch (best vs best) median {statistics.median(ratios):.2f}x, "
              f"rounds {', '.join(f'{r:.2f}' for r in ratios)}")


if __name__ == "__main__":
    main()
