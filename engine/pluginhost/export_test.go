package pluginhost

// PluginBinaryForTests is the test plugin TestMain builds, for the examples.
func PluginBinaryForTests() string { return testBin }
