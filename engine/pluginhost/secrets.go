package pluginhost

import "strings"

// envName is a plugin name or key as it appears in an environment variable.
func envName(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "-", "_")) }

// SecretEnvVar is the environment variable that holds a plugin's secret:
// INKLING_PLUGIN_<NAME>_<KEY>, upper case, '-' written '_'. The plugin reads
// it through GetSettings as secrets[<key>] in lower case ('-' written '_').
func SecretEnvVar(plugin, key string) string {
	return "INKLING_PLUGIN_" + envName(plugin) + "_" + envName(key)
}

// secrets returns a plugin's secrets from the environment. A variable that
// belongs to another plugin whose name extends this one's (hello and
// hello-world) is left to that plugin.
func (m *Manager) secrets(name string) map[string]string {
	prefix := "INKLING_PLUGIN_" + envName(name) + "_"
	var others []string
	for _, o := range m.names() {
		if op := "INKLING_PLUGIN_" + envName(o) + "_"; o != name && len(op) > len(prefix) && strings.HasPrefix(op, prefix) {
			others = append(others, op)
		}
	}
	out := map[string]string{}
	for _, kv := range m.cfg.Environ() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || len(k) <= len(prefix) || !strings.HasPrefix(k, prefix) {
			continue
		}
		mine := true
		for _, op := range others {
			if strings.HasPrefix(k, op) {
				mine = false
				break
			}
		}
		if mine {
			out[strings.ToLower(k[len(prefix):])] = v
		}
	}
	return out
}
