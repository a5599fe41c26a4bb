package env

import "math"

func init() {
	registry["Driving-v0"] = func() Env { return &Driving{} }
	registry["DrivingCaRL-v0"] = func() Env { return &Driving{CaRL: DefaultCaRL()} }
}

// CaRLReward is CaRL's reward (Jaeger et al. 2025, "CaRL: Learning
// Scalable Planning Policies with Simple Rewards"; autonomousvision/CaRL
// simple_reward.py) on Driving:
//
//	r_t = dRC_t * prod_k f_k + r_term
//
// dRC_t is the route completion gained this step in percentage points (a
// whole route sums to 100); the factors, all 1 without an infraction:
// speeding f = max(0, 1 - (v - SpeedLimit)/SpeedTolerance); a
// time-to-collision violation (the next obstacle on the car's path
// closer than TTC seconds at the current speed) f = TTCPenalty, held for
// TTCHold steps after the last violation; off the lane centre by more
// than LaneDev for more than LaneDevSteps consecutive steps f =
// LaneDevPenalty. A collision terminates with r_term = -TerminalHint;
// leaving the road terminates with r_term = 0 (CaRL's "outside the
// drivable area"); finishing the route terminates (no reward remains, so
// there is nothing to bootstrap: CHOICE, CaRL truncates). CHOICEs for
// this 2-D task (CaRL's CARLA values in brackets): SpeedLimit 6 m/s
// (the map's limit), TTC 1 s, TTCHold 20 steps = 2 s (500 ticks = 25
// s), LaneDev 1.5 m (0.5 m: our obstacles sit 1 m off the centreline),
// LaneDevSteps 30 = 3 s (3 s); the comfort factor (six nuPlan limits)
// and red lights / stop signs have no counterpart here.
type CaRLReward struct {
	SpeedLimit, SpeedTolerance float64
	TTC, TTCPenalty            float64
	TTCHold                    int
	LaneDev, LaneDevPenalty    float64
	LaneDevSteps               int
	TerminalHint               float64
}

// DefaultCaRL is the configuration of DrivingCaRL-v0.
func DefaultCaRL() *CaRLReward {
	return &CaRLReward{SpeedLimit: 6, SpeedTolerance: 2.23, TTC: 1, TTCPenalty: 0.5, TTCHold: 20, LaneDev: 1.5,
		LaneDevPenalty: 0.5, LaneDevSteps: 30, TerminalHint: 1}
}

// CaRLStepReward is r = dRC * prod(factors) + r_term with r_term =
// -hint on a collision.
func CaRLStepReward(dRC float64, factors []float64, collision bool, hint float64) float64 {
	r := dRC
	for _, f := range factors {
		r *= f
	}
	if collision {
		r -= hint
	}
	return r
}

// SpeedingFactor is max(0, 1 - (v - limit)/tolerance) above the limit, else 1.
func SpeedingFactor(v, limit, tolerance float64) float64 {
	if v <= limit {
		return 1
	}
	return max(0, 1-(v-limit)/tolerance)
}

// Driving is a small 2-D driving task for CaRL/FastRLAP-style work. Each
// reset draws a route from the seed: RouteSegments segments of 2 m whose
// heading changes by up to ±0.25 rad per segment, a road 4 m wide around
// it, and static obstacles (0.5 m radius) beside the centreline at every
// 8th waypoint, alternating sides so a lane always remains. The car is a
// kinematic bicycle (wheelbase 2.5 m, dt 0.1 s, steering up to 0.5 rad,
// acceleration up to 3 m/s², speed in [0, 8] m/s).
//
// Reward (CaRL's simple reward): the route completion gained this step
// (so a whole route is worth 1), with the episode terminated on an
// infraction (leaving the road or touching an obstacle) or on reaching the
// end of the route; time limit 400 steps.
//
// Observation (15 values): speed/8, lateral offset / half-width, heading
// error, the next five waypoints (every 2nd point, up to 20 m ahead) in the
// car's frame divided by 10, and the next obstacle along the route: its
// distance ahead / 20 and its signed lateral offset / half-width (1, 0
// when none is within 20 m) — what a route-aware bird's-eye view shows.
type Driving struct {
	route     [][2]float64 // centreline points
	cum       []float64    // arc length at each point
	obstacles [][2]float64
	obsS      []float64 // arc length of each obstacle's projection on the route
	obsLat    []float64 // signed lateral offset of each obstacle
	x, y, yaw float64
	v         float64
	progress  float64 // arc length reached (monotone)
	Infracted string  // "", "off_road" or "collision" after a terminating step
	// CaRL, when set, replaces the simple reward by CaRL's (CaRLReward).
	CaRL *CaRLReward
	// Segments is the route's number of segments (0: RouteSegments); a
	// shorter route is an easier task (fewer bends and obstacles).
	Segments int
	// NoObstacles drops the obstacles (an easier task).
	NoObstacles bool
	// CaRL state: steps since the last TTC violation (-1: none yet) and
	// consecutive steps off the lane centre.
	sinceTTC, offCentre int
}

// Driving constants.
const (
	RouteSegments  = 40
	drvSegLen      = 2.0
	drvHalfWidth   = 2.0
	drvObstacleR   = 0.5
	drvCarRadius   = 0.8
	drvWheelbase   = 2.5
	drvDt          = 0.1
	drvMaxSteer    = 0.5
	drvMaxAccel    = 3.0
	drvMaxSpeed    = 8.0
	drvObstacleOff = 1.0
)

func (*Driving) ObservationSpace() Space {
	low, high := make([]float64, 15), make([]float64, 15)
	for i := range low {
		low[i], high[i] = -10, 10
	}
	return Space{Dim: 15, Low: low, High: high}
}
func (*Driving) ActionSpace() Space {
	return Space{Dim: 2, Low: []float64{-1, -1}, High: []float64{1, 1}}
}
func (*Driving) MaxEpisodeSteps() int { return 400 }

// Succeeded reports whether the episode ended by reaching the end of the
// route without an infraction (the terminal success).
func (d *Driving) Succeeded() bool {
	return d.Infracted == "" && len(d.cum) > 0 && d.progress >= d.cum[len(d.cum)-1]-0.5
}

// RouteCompletion is the fraction of the route driven (in [0, 1]).
func (d *Driving) RouteCompletion() float64 { return d.progress / d.cum[len(d.cum)-1] }

// Reset draws a route, its obstacles and a start on the centreline.
func (d *Driving) Reset(seed uint64) []float32 {
	r := newRand(seed)
	d.route, d.cum, d.obstacles = d.route[:0], d.cum[:0], d.obstacles[:0]
	x, y, h := 0.0, 0.0, 0.0
	d.route = append(d.route, [2]float64{x, y})
	d.cum = append(d.cum, 0)
	segs := d.Segments
	if segs <= 0 {
		segs = RouteSegments
	}
	for i := 0; i < segs; i++ {
		h += uniform(r, -0.25, 0.25)
		x, y = x+drvSegLen*math.Cos(h), y+drvSegLen*math.Sin(h)
		d.route = append(d.route, [2]float64{x, y})
		d.cum = append(d.cum, d.cum[i]+drvSegLen)
		if (i+1)%8 == 0 && i+1 < segs && !d.NoObstacles {
			side := 1.0
			if ((i+1)/8)%2 == 0 {
				side = -1
			}
			nx, ny := -math.Sin(h), math.Cos(h) // left normal
			d.obstacles = append(d.obstacles, [2]float64{x + side*drvObstacleOff*nx, y + side*drvObstacleOff*ny})
		}
	}
	d.obsS, d.obsLat = d.obsS[:0], d.obsLat[:0]
	for _, ob := range d.obstacles {
		s, lat, _ := d.project(ob[0], ob[1])
		d.obsS, d.obsLat = append(d.obsS, s), append(d.obsLat, lat)
	}
	d.x, d.y, d.yaw, d.v, d.progress, d.Infracted = 0, 0, 0, 0, 0, ""
	d.sinceTTC, d.offCentre = -1, 0
	return d.obs()
}

// project returns the arc length of the closest centreline point, the
// signed lateral offset (left positive) and the route heading there.
func (d *Driving) project(px, py float64) (s, lat, heading float64) {
	best := math.Inf(1)
	for i := 0; i+1 < len(d.route); i++ {
		ax, ay := d.route[i][0], d.route[i][1]
		bx, by := d.route[i+1][0], d.route[i+1][1]
		dx, dy := bx-ax, by-ay
		l2 := dx*dx + dy*dy
		t := clip(((px-ax)*dx+(py-ay)*dy)/l2, 0, 1)
		cx, cy := ax+t*dx, ay+t*dy
		dist := math.Hypot(px-cx, py-cy)
		if dist < best {
			best = dist
			s = d.cum[i] + t*math.Sqrt(l2)
			cross := dx*(py-ay) - dy*(px-ax)
			lat = dist
			if cross < 0 {
				lat = -dist
			}
			heading = math.Atan2(dy, dx)
		}
	}
	return s, lat, heading
}

// pointAt returns the centreline point at arc length s (clamped).
func (d *Driving) pointAt(s float64) (float64, float64) {
	total := d.cum[len(d.cum)-1]
	s = clip(s, 0, total)
	i := min(int(s/drvSegLen), len(d.route)-2)
	t := (s - d.cum[i]) / drvSegLen
	a, b := d.route[i], d.route[i+1]
	return a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])
}

func (d *Driving) toCar(px, py float64) (float64, float64) {
	dx, dy := px-d.x, py-d.y
	c, s := math.Cos(d.yaw), math.Sin(d.yaw)
	return c*dx + s*dy, -s*dx + c*dy
}

func (d *Driving) obs() []float32 {
	s, lat, heading := d.project(d.x, d.y)
	herr := math.Remainder(d.yaw-heading, 2*math.Pi)
	o := []float32{float32(d.v / drvMaxSpeed), float32(lat / drvHalfWidth), float32(herr)}
	for k := 1; k <= 5; k++ {
		px, py := d.pointAt(s + float64(k)*2*drvSegLen)
		cx, cy := d.toCar(px, py)
		o = append(o, float32(cx/10), float32(cy/10))
	}
	// The next obstacle along the route (up to 2 m behind, so one being
	// passed stays visible): distance along the route / 20 and its lateral
	// offset / half-width; (1, 0) when none is within 20 m.
	ahead, side := 1.0, 0.0
	for i, os := range d.obsS {
		if ds := os - s; ds > -2 && ds < 20*ahead {
			ahead, side = ds/20, d.obsLat[i]/drvHalfWidth
		}
	}
	return append(o, float32(ahead), float32(side))
}

// Step applies [steer, accel] in [-1, 1]².
func (d *Driving) Step(a []float64) Step {
	steer := clip(a[0], -1, 1) * drvMaxSteer
	acc := clip(a[1], -1, 1) * drvMaxAccel
	d.x += d.v * math.Cos(d.yaw) * drvDt
	d.y += d.v * math.Sin(d.yaw) * drvDt
	d.yaw += d.v / drvWheelbase * math.Tan(steer) * drvDt
	d.v = clip(d.v+acc*drvDt, 0, drvMaxSpeed)
	s, lat, _ := d.project(d.x, d.y)
	total := d.cum[len(d.cum)-1]
	// Progress counts only forward motion along the route, and never
	// jumps more than a few metres (no shortcuts across a bend).
	gain := 0.0
	if s > d.progress && s-d.progress < 3 {
		gain = s - d.progress
		d.progress = s
	}
	st := Step{Reward: gain / total}
	switch {
	case math.Abs(lat) > drvHalfWidth:
		d.Infracted, st.Terminated = "off_road", true
	case d.collides():
		d.Infracted, st.Terminated = "collision", true
	case d.progress >= total-0.5:
		st.Terminated = true
	}
	if c := d.CaRL; c != nil {
		st.Reward = CaRLStepReward(100*gain/total, d.carlFactors(s, lat), d.Infracted == "collision", c.TerminalHint)
	}
	st.Obs = d.obs()
	return st
}

// carlFactors updates the CaRL penalty state after a step and returns
// the active factors (speeding, TTC, lane-centre deviation).
func (d *Driving) carlFactors(s, lat float64) []float64 {
	c := d.CaRL
	f := []float64{SpeedingFactor(d.v, c.SpeedLimit, c.SpeedTolerance), 1, 1}
	if d.ttcViolated(s) {
		d.sinceTTC = 0
	} else if d.sinceTTC >= 0 {
		d.sinceTTC++
	}
	if d.sinceTTC >= 0 && d.sinceTTC <= c.TTCHold {
		f[1] = c.TTCPenalty
	}
	if math.Abs(lat) > c.LaneDev {
		d.offCentre++
	} else {
		d.offCentre = 0
	}
	if d.offCentre > c.LaneDevSteps {
		f[2] = c.LaneDevPenalty
	}
	return f
}

// ttcViolated: an obstacle ahead on the car's path (within the car's and
// its radii of the car's heading line) would be reached in under TTC
// seconds at the current speed.
func (d *Driving) ttcViolated(float64) bool {
	if d.v <= 0 {
		return false
	}
	for _, ob := range d.obstacles {
		fx, fy := d.toCar(ob[0], ob[1])
		if fx <= 0 || math.Abs(fy) > drvObstacleR+drvCarRadius {
			continue
		}
		if gap := fx - drvObstacleR - drvCarRadius; gap/d.v < d.CaRL.TTC {
			return true
		}
	}
	return false
}

func (d *Driving) collides() bool {
	for _, ob := range d.obstacles {
		if math.Hypot(ob[0]-d.x, ob[1]-d.y) < drvObstacleR+drvCarRadius {
			return true
		}
	}
	return false
}
