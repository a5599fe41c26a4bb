package env

import "math"

func init() {
	registry["Driving-v0"] = func() Env { return &Driving{} }
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

// RouteCompletion is the fraction of the route driven (in [0, 1]).
func (d *Driving) RouteCompletion() float64 { return d.progress / d.cum[len(d.cum)-1] }

// Reset draws a route, its obstacles and a start on the centreline.
func (d *Driving) Reset(seed uint64) []float32 {
	r := newRand(seed)
	d.route, d.cum, d.obstacles = d.route[:0], d.cum[:0], d.obstacles[:0]
	x, y, h := 0.0, 0.0, 0.0
	d.route = append(d.route, [2]float64{x, y})
	d.cum = append(d.cum, 0)
	for i := 0; i < RouteSegments; i++ {
		h += uniform(r, -0.25, 0.25)
		x, y = x+drvSegLen*math.Cos(h), y+drvSegLen*math.Sin(h)
		d.route = append(d.route, [2]float64{x, y})
		d.cum = append(d.cum, d.cum[i]+drvSegLen)
		if (i+1)%8 == 0 && i+1 < RouteSegments {
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
	st.Obs = d.obs()
	return st
}

func (d *Driving) collides() bool {
	for _, ob := range d.obstacles {
		if math.Hypot(ob[0]-d.x, ob[1]-d.y) < drvObstacleR+drvCarRadius {
			return true
		}
	}
	return false
}
