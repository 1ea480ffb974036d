package api

import (
	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/cache"
)

type systemInfo struct {
	Version  string       `json:"version"`
	Database string       `json:"database"`
	Cache    *cache.Stats `json:"cache"` // null: caching off
}

func (s *Server) bindAdminSystem(r fiber.Router) {
	r.Get("/system", s.system)
}

// system reports the server's version, database and cache health and
// counters (admins).
func (s *Server) system(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	info := systemInfo{Version: s.Version, Database: string(s.DB.Backend)}
	if s.Cache != nil {
		st := s.Cache.Stats()
		info.Cache = &st
	}
	return c.JSON(info)
}
