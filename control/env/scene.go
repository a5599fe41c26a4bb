package env

// DrivingScene is what a bird's-eye rendering of Driving-v0 needs: the
// route centreline, the obstacles and the car's pose.
type DrivingScene struct {
	Route     [][2]float64 `json:"route"`     // centreline points (m)
	Obstacles [][2]float64 `json:"obstacles"` // obstacle centres (m)
	HalfWidth float64      `json:"half_width"`
	ObstacleR float64      `json:"obstacle_r"`
	CarRadius float64      `json:"car_radius"`
	X         float64      `json:"x"` // car pose (m, m, rad)
	Y         float64      `json:"y"`
	Yaw       float64      `json:"yaw"`
	Speed     float64      `json:"speed"` // m/s
}

// Scene returns a copy of the current route, obstacles and car pose.
func (d *Driving) Scene() DrivingScene {
	return DrivingScene{Route: append([][2]float64(nil), d.route...), Obstacles: append([][2]float64(nil), d.obstacles...),
		HalfWidth: drvHalfWidth, ObstacleR: drvObstacleR, CarRadius: drvCarRadius, X: d.x, Y: d.y, Yaw: d.yaw, Speed: d.v}
}
