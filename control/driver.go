package control

import (
	"math"
	"math/rand/v2"
)

// SlowDriver is a scripted Driving-v0 controller (the prior data and the
// demonstration lap of the FastRLAP analog): pure pursuit of the route
// point 4 m ahead, shifted to pass the next obstacle on its far side,
// at a target speed of speed m/s (FastRLAP's prior data drive at low
// speed). It reads only the observation (Driving's layout).
func SlowDriver(speed float64) func(obs []float32, _ *rand.Rand) []float64 {
	return func(obs []float32, _ *rand.Rand) []float64 {
		v := float64(obs[0]) * 8
		// First route point ahead (4 m), car frame.
		px, py := float64(obs[3])*10, float64(obs[4])*10
		ahead, side := float64(obs[13])*20, float64(obs[14])*2 // obstacle: metres along the route, lateral offset
		shift := 0.0
		if ahead > -1.5 && ahead < 10 && side != 0 {
			shift = -math.Copysign(1.1, side) // pass on the other side of the centreline
		}
		steer := math.Atan2(py+shift, px) / 0.5 * 1.2
		acc := (speed - v) / 3
		return []float64{math.Max(-1, math.Min(1, steer)), math.Max(-1, math.Min(1, acc))}
	}
}
