#!/usr/bin/env python3
"""Reference transitions for control/env, written from Gymnasium's published
equations with numpy's dtypes (Debian python3-numpy; run with /usr/bin/python3).

For each environment: a start state, 1000 actions from a fixed pattern, and
after every step the full state, the observation, the reward and the
termination flag. The Go test replays each transition from the reference
state, so chaotic divergence of 1-ulp differences in sin/cos cannot hide or
fake a mismatch.

    /usr/bin/python3 scripts/control_reference.py > control/env/testdata/reference.json
"""
import json
import math

import numpy as np

STEPS = 1000


def cartpole(state, action):
    g, mc, mp, length, fmag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    total = mp + mc
    pml = mp * length
    x, x_dot, th, th_dot = state
    force = fmag if action == 1 else -fmag
    c, s = math.cos(th), math.sin(th)
    temp = (force + pml * th_dot**2 * s) / total
    th_acc = (g * s - c * temp) / (length * (4.0 / 3.0 - mp * c**2 / total))
    x_acc = temp - pml * th_acc * c / total
    x, x_dot = x + tau * x_dot, x_dot + tau * x_acc
    th, th_dot = th + tau * th_dot, th_dot + tau * th_acc
    new = [x, x_dot, th, th_dot]
    lim = 12 * 2 * math.pi / 360
    term = bool(x < -2.4 or x > 2.4 or th < -lim or th > lim)
    return new, [float(v) for v in np.array(new, dtype=np.float32)], 1.0, term


def angle_normalize(x):
    return ((x + np.pi) % (2 * np.pi)) - np.pi


def pendulum(state, action):
    th, thdot = state
    g, m, l, dt = 10.0, 1.0, 1.0, 0.05
    u = np.clip(np.array([action], dtype=np.float32), -2.0, 2.0)[0]
    cost = angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * (u**2)
    newthdot = thdot + (3 * g / (2 * l) * np.sin(th) + 3.0 / (m * l**2) * u) * dt
    newthdot = np.clip(newthdot, -8, 8)
    newth = th + newthdot * dt
    obs = np.array([np.cos(newth), np.sin(newth), newthdot], dtype=np.float32)
    return [float(newth), float(newthdot)], [float(v) for v in obs], float(-cost), False


def mountain_car(state, action):
    pos, vel = state
    a = np.array([action], dtype=np.float32)
    force = min(max(a[0], -1.0), 1.0)
    vel += force * 0.0015 - 0.0025 * math.cos(3 * pos)
    vel = min(max(vel, -0.07), 0.07)
    pos += vel
    pos = min(max(pos, -1.2), 0.6)
    if pos == -1.2 and vel < 0:
        vel = 0
    term = bool(pos >= 0.45 and vel >= 0)
    reward = 100.0 if term else 0.0
    reward -= math.pow(a[0], 2) * 0.1
    st = np.array([pos, vel], dtype=np.float32)
    return [float(v) for v in st], [float(v) for v in st], float(reward), term


def acrobot_derivs(s, a):
    m1 = m2 = 1.0
    l1, lc1, lc2, i1, i2, g = 1.0, 0.5, 0.5, 1.0, 1.0, 9.8
    t1, t2, dt1, dt2 = s
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * math.cos(t2)) + i1 + i2
    d2 = m2 * (lc2**2 + l1 * lc2 * math.cos(t2)) + i2
    phi2 = m2 * lc2 * g * math.cos(t1 + t2 - math.pi / 2.0)
    phi1 = (-m2 * l1 * lc2 * dt2**2 * math.sin(t2) - 2 * m2 * l1 * lc2 * dt2 * dt1 * math.sin(t2)
            + (m1 * lc1 + m2 * l1) * g * math.cos(t1 - math.pi / 2) + phi2)
    ddt2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dt1**2 * math.sin(t2) - phi2) / (m2 * lc2**2 + i2 - d2**2 / d1)
    ddt1 = -(d2 * ddt2 + phi1) / d1
    return np.array([dt1, dt2, ddt1, ddt2])


def acrobot(state, action):
    torque = [-1.0, 0.0, 1.0][action]
    y = np.array(state, dtype=np.float64)
    dt = 0.2
    k1 = acrobot_derivs(y, torque)
    k2 = acrobot_derivs(y + dt / 2.0 * k1, torque)
    k3 = acrobot_derivs(y + dt / 2.0 * k2, torque)
    k4 = acrobot_derivs(y + dt * k3, torque)
    y = y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)

    def wrap(x, m, M):
        d = M - m
        while x > M:
            x -= d
        while x < m:
            x += d
        return x

    y[0] = wrap(y[0], -math.pi, math.pi)
    y[1] = wrap(y[1], -math.pi, math.pi)
    y[2] = min(max(y[2], -4 * math.pi), 4 * math.pi)
    y[3] = min(max(y[3], -9 * math.pi), 9 * math.pi)
    term = bool(-math.cos(y[0]) - math.cos(y[1] + y[0]) > 1.0)
    obs = np.array([math.cos(y[0]), math.sin(y[0]), math.cos(y[1]), math.sin(y[1]), y[2], y[3]], dtype=np.float32)
    return [float(v) for v in y], [float(v) for v in obs], (0.0 if term else -1.0), term


ENVS = {
    "CartPole-v1": (cartpole, [0.01, -0.02, 0.03, 0.04], lambda t: (t * t + 3 * t) % 2),
    "Pendulum-v1": (pendulum, [2.0, 0.5], lambda t: 2.5 * math.sin(0.1 * t)),
    "MountainCarContinuous-v0": (mountain_car, [-0.5, 0.0], lambda t: 1.2 * math.sin(0.05 * t)),
    "Acrobot-v1": (acrobot, [0.05, -0.03, 0.02, -0.01], lambda t: (t * 5 + t // 7) % 3),
}

out = {}
for name, (step, start, policy) in ENVS.items():
    state, rows = list(start), []
    for t in range(STEPS):
        a = policy(t)
        new, obs, reward, term = step(state, a)
        rows.append({"action": a, "state": new, "obs": obs, "reward": reward, "terminated": term})
        state = new
    out[name] = {"start": start, "steps": rows}
print(json.dumps(out))
