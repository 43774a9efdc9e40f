// This IT's generated build runs the compose stack: wait for the engine .ci/run provisions meanwhile (if it does).
io.github.clicklog.archetype.stack.EngineProvisioning.await()
return true
