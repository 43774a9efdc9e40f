// The upgrade command's scenarios (src/test/java/.../upgrade/UpgradeScenarios), against fixture versions of this
// archetype built from its own sources; each scenario prints its outcome, and any failure fails this IT.
import io.github.clicklog.archetype.upgrade.UpgradeScenarios
import java.nio.file.Files
import java.nio.file.Path

Path it = basedir.toPath()
Path archetype = it.resolve('../../..').normalize()
Path work = it.resolve('upgrade')

// The ITs' settings as invoker uses them: this IT's own Maven runs (the fixtures' builds, the teams' generations,
// the upgrade command's ./mvnw) read the developer's ~/.m2 first and keep what they fetch in the ITs' repository.
Path settings = work.resolve('settings.xml')
Files.createDirectories(work)
Path userRepository = Path.of(System.getProperty('user.home'), '.m2', 'repository')
Files.writeString(settings, Files.readString(archetype.resolve('integration-tests/settings.xml'))
        .replace('@localRepositoryUrl@', userRepository.toUri().toString()))

new UpgradeScenarios(work, Path.of(System.getProperty('maven.home')), localRepositoryPath.toPath(), settings,
        archetypePluginVersion).runAll(archetype, it.resolve('current'))
return true
