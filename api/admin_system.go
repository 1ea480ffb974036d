package api

import (
	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/related"
)

type systemInfo struct {
	Version  string       `json:"version"`
	Database string       `json:"database"`
	Cache    *cache.Stats `json:"cache"` // null: caching off
	// RelatedIndex describes the in-memory related index; null when
	// related entries are ranked in SQL.
	RelatedIndex *related.IndexStats `json:"related_index"`
}

func (s *Server) bindAdminSystem(r fiber.Router) {
	r.Get("/system", s.system)
}

// system reports the server's version, database, cache health and
// counters, and the related index's state (admins).
func (s *Server) system(c fiber.Ctx) error {
	if err := s.requireAdmin(c); err != nil {
		return err
	}
	info := systemInfo{Version: s.Version, Database: string(s.DB.Backend)}
	if s.Cache != nil {
		st := s.Cache.Stats()
		info.Cache = &st
	}
	if s.RelatedIndex != nil {
		st := s.RelatedIndex.Stats()
		info.RelatedIndex = &st
	}
	return c.JSON(info)
}
