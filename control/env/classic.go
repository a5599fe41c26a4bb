package env

import "math"

func init() {
	registry["CartPole-v1"] = func() Env { return &CartPole{} }
	registry["Pendulum-v1"] = func() Env { return &Pendulum{} }
	registry["MountainCarContinuous-v0"] = func() Env { return &MountainCarContinuous{} }
	registry["Acrobot-v1"] = func() Env { return &Acrobot{} }
}

// CartPole is Gymnasium's CartPole-v1: a pole on a cart pushed left or
// right with force 10 N; Euler integration with tau 0.02 s; reward 1 per
// step (the terminating step included); terminated when |x| > 2.4 or
// |theta| > 12 degrees; time limit 500. The state is kept in float64 and
// observed as float32, as in Gymnasium.
type CartPole struct {
	x, xDot, theta, thetaDot float64
}

// CartPole constants (Gymnasium).
const (
	cpGravity   = 9.8
	cpMassCart  = 1.0
	cpMassPole  = 0.1
	cpTotalMass = cpMassPole + cpMassCart
	cpLength    = 0.5 // half the pole's length
	cpPoleML    = cpMassPole * cpLength
	cpForceMag  = 10.0
	cpTau       = 0.02
	cpXLimit    = 2.4
)

var cpThetaLimit = 12 * 2 * math.Pi / 360

func (*CartPole) ObservationSpace() Space {
	inf := math.MaxFloat32
	return Space{Dim: 4, Low: []float64{-4.8, -inf, -2 * cpThetaLimit, -inf}, High: []float64{4.8, inf, 2 * cpThetaLimit, inf}}
}
func (*CartPole) ActionSpace() Space   { return Space{Discrete: 2} }
func (*CartPole) MaxEpisodeSteps() int { return 500 }

func (c *CartPole) obs() []float32 {
	return []float32{float32(c.x), float32(c.xDot), float32(c.theta), float32(c.thetaDot)}
}

// Reset draws each state variable uniformly from [-0.05, 0.05).
func (c *CartPole) Reset(seed uint64) []float32 {
	r := newRand(seed)
	c.x, c.xDot, c.theta, c.thetaDot = uniform(r, -0.05, 0.05), uniform(r, -0.05, 0.05), uniform(r, -0.05, 0.05), uniform(r, -0.05, 0.05)
	return c.obs()
}

// Step pushes right for action 1 and left for action 0.
func (c *CartPole) Step(a []float64) Step {
	force := -cpForceMag
	if a[0] == 1 {
		force = cpForceMag
	}
	cos, sin := math.Cos(c.theta), math.Sin(c.theta)
	temp := (force + cpPoleML*c.thetaDot*c.thetaDot*sin) / cpTotalMass
	thetaAcc := (cpGravity*sin - cos*temp) / (cpLength * (4.0/3.0 - cpMassPole*cos*cos/cpTotalMass))
	xAcc := temp - cpPoleML*thetaAcc*cos/cpTotalMass
	c.x += cpTau * c.xDot
	c.xDot += cpTau * xAcc
	c.theta += cpTau * c.thetaDot
	c.thetaDot += cpTau * thetaAcc
	term := c.x < -cpXLimit || c.x > cpXLimit || c.theta < -cpThetaLimit || c.theta > cpThetaLimit
	return Step{Obs: c.obs(), Reward: 1, Terminated: term}
}

// Pendulum is Gymnasium's Pendulum-v1 (g = 10): torque in [-2, 2], cost
// angle_normalize(th)^2 + 0.1 thdot^2 + 0.001 u^2 (reward = -cost), speed
// clipped to 8, dt 0.05, never terminates, time limit 200. Observation
// [cos th, sin th, thdot].
type Pendulum struct{ th, thDot float64 }

func (*Pendulum) ObservationSpace() Space {
	return Space{Dim: 3, Low: []float64{-1, -1, -8}, High: []float64{1, 1, 8}}
}
func (*Pendulum) ActionSpace() Space   { return Space{Dim: 1, Low: []float64{-2}, High: []float64{2}} }
func (*Pendulum) MaxEpisodeSteps() int { return 200 }

func (p *Pendulum) obs() []float32 {
	return []float32{float32(math.Cos(p.th)), float32(math.Sin(p.th)), float32(p.thDot)}
}

// Reset draws th from [-pi, pi) and thdot from [-1, 1).
func (p *Pendulum) Reset(seed uint64) []float32 {
	r := newRand(seed)
	p.th, p.thDot = uniform(r, -math.Pi, math.Pi), uniform(r, -1, 1)
	return p.obs()
}

func angleNormalize(x float64) float64 {
	// Python's ((x + pi) % (2 pi)) - pi, with a non-negative modulus.
	m := math.Mod(x+math.Pi, 2*math.Pi)
	if m < 0 {
		m += 2 * math.Pi
	}
	return m - math.Pi
}

// Step applies torque u = clip(a[0], -2, 2).
func (p *Pendulum) Step(a []float64) Step {
	const g, m, l, dt = 10.0, 1.0, 1.0, 0.05
	u := clip(a[0], -2, 2)
	cost := angleNormalize(p.th)*angleNormalize(p.th) + 0.1*p.thDot*p.thDot + 0.001*u*u
	newThDot := p.thDot + (3*g/(2*l)*math.Sin(p.th)+3.0/(m*l*l)*u)*dt
	newThDot = clip(newThDot, -8, 8)
	p.th += newThDot * dt
	p.thDot = newThDot
	return Step{Obs: p.obs(), Reward: -cost}
}

// MountainCarContinuous is Gymnasium's MountainCarContinuous-v0: force in
// [-1, 1] times power 0.0015 against gravity 0.0025 cos(3 pos); position
// in [-1.2, 0.6], speed clipped to 0.07, a wall at the left (velocity
// zeroed); terminated at position >= 0.45 with velocity >= 0; reward 100
// on reaching the goal minus 0.1 a^2 each step; time limit 999. Gymnasium
// stores the state as float32 after each step; so does this.
type MountainCarContinuous struct{ pos, vel float64 }

func (*MountainCarContinuous) ObservationSpace() Space {
	return Space{Dim: 2, Low: []float64{-1.2, -0.07}, High: []float64{0.6, 0.07}}
}
func (*MountainCarContinuous) ActionSpace() Space {
	return Space{Dim: 1, Low: []float64{-1}, High: []float64{1}}
}
func (*MountainCarContinuous) MaxEpisodeSteps() int { return 999 }

// Reset draws the position from [-0.6, -0.4) with zero velocity.
func (m *MountainCarContinuous) Reset(seed uint64) []float32 {
	r := newRand(seed)
	m.pos, m.vel = uniform(r, -0.6, -0.4), 0
	return []float32{float32(m.pos), 0}
}

// Step applies force clip(a[0], -1, 1).
func (m *MountainCarContinuous) Step(a []float64) Step {
	force := clip(a[0], -1, 1)
	pos, vel := m.pos, m.vel
	vel += force*0.0015 - 0.0025*math.Cos(3*pos)
	vel = clip(vel, -0.07, 0.07)
	pos += vel
	pos = clip(pos, -1.2, 0.6)
	if pos == -1.2 && vel < 0 {
		vel = 0
	}
	term := pos >= 0.45 && vel >= 0
	reward := 0.0
	if term {
		reward = 100
	}
	reward -= a[0] * a[0] * 0.1 // Gymnasium uses the unclipped action here
	m.pos, m.vel = float64(float32(pos)), float64(float32(vel))
	return Step{Obs: []float32{float32(pos), float32(vel)}, Reward: reward, Terminated: term}
}

// Acrobot is Gymnasium's Acrobot-v1 ("book" dynamics): two links, torque
// in {-1, 0, +1} on the joint between them, RK4 over dt = 0.2, angles
// wrapped to [-pi, pi], velocities bounded by 4 pi and 9 pi; reward -1 per
// step until the free end is above height 1 (-cos t1 - cos(t1 + t2) > 1),
// which terminates with reward 0; time limit 500. Observation [cos t1,
// sin t1, cos t2, sin t2, dt1, dt2].
type Acrobot struct{ s [4]float64 }

func (*Acrobot) ObservationSpace() Space {
	return Space{Dim: 6, Low: []float64{-1, -1, -1, -1, -4 * math.Pi, -9 * math.Pi}, High: []float64{1, 1, 1, 1, 4 * math.Pi, 9 * math.Pi}}
}
func (*Acrobot) ActionSpace() Space   { return Space{Discrete: 3} }
func (*Acrobot) MaxEpisodeSteps() int { return 500 }

func (ac *Acrobot) obs() []float32 {
	s := ac.s
	return []float32{float32(math.Cos(s[0])), float32(math.Sin(s[0])), float32(math.Cos(s[1])), float32(math.Sin(s[1])), float32(s[2]), float32(s[3])}
}

// Reset draws the four state variables from [-0.1, 0.1).
func (ac *Acrobot) Reset(seed uint64) []float32 {
	r := newRand(seed)
	for i := range ac.s {
		ac.s[i] = uniform(r, -0.1, 0.1)
	}
	return ac.obs()
}

// acrobotDerivs is the "book" equations of motion for state s and torque a.
func acrobotDerivs(s [4]float64, a float64) [4]float64 {
	const m1, m2, l1, lc1, lc2, I1, I2, g = 1.0, 1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 9.8
	t1, t2, dt1, dt2 := s[0], s[1], s[2], s[3]
	d1 := m1*lc1*lc1 + m2*(l1*l1+lc2*lc2+2*l1*lc2*math.Cos(t2)) + I1 + I2
	d2 := m2*(lc2*lc2+l1*lc2*math.Cos(t2)) + I2
	phi2 := m2 * lc2 * g * math.Cos(t1+t2-math.Pi/2)
	phi1 := -m2*l1*lc2*dt2*dt2*math.Sin(t2) - 2*m2*l1*lc2*dt2*dt1*math.Sin(t2) + (m1*lc1+m2*l1)*g*math.Cos(t1-math.Pi/2) + phi2
	ddt2 := (a + d2/d1*phi1 - m2*l1*lc2*dt1*dt1*math.Sin(t2) - phi2) / (m2*lc2*lc2 + I2 - d2*d2/d1)
	ddt1 := -(d2*ddt2 + phi1) / d1
	return [4]float64{dt1, dt2, ddt1, ddt2}
}

// wrap maps x into [lo, hi] by whole periods, as Gymnasium's wrap.
func wrap(x, lo, hi float64) float64 {
	d := hi - lo
	for x > hi {
		x -= d
	}
	for x < lo {
		x += d
	}
	return x
}

// Step applies torque -1, 0 or +1 for actions 0, 1, 2.
func (ac *Acrobot) Step(a []float64) Step {
	torque := float64(int(a[0])) - 1
	y := ac.s
	const dt = 0.2
	add := func(y [4]float64, h float64, k [4]float64) [4]float64 {
		for i := range y {
			y[i] += h * k[i]
		}
		return y
	}
	k1 := acrobotDerivs(y, torque)
	k2 := acrobotDerivs(add(y, dt/2, k1), torque)
	k3 := acrobotDerivs(add(y, dt/2, k2), torque)
	k4 := acrobotDerivs(add(y, dt, k3), torque)
	for i := range y {
		y[i] += dt / 6.0 * (k1[i] + 2*k2[i] + 2*k3[i] + k4[i])
	}
	y[0] = wrap(y[0], -math.Pi, math.Pi)
	y[1] = wrap(y[1], -math.Pi, math.Pi)
	y[2] = clip(y[2], -4*math.Pi, 4*math.Pi)
	y[3] = clip(y[3], -9*math.Pi, 9*math.Pi)
	ac.s = y
	term := -math.Cos(y[0])-math.Cos(y[1]+y[0]) > 1.0
	reward := -1.0
	if term {
		reward = 0
	}
	return Step{Obs: ac.obs(), Reward: reward, Terminated: term}
}
