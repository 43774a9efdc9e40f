// A port above 65535.
def log = new File(basedir, 'build.log').text
assert log.contains('Invalid archetype properties, nothing was generated')
assert log.contains("webPort='70000': a port must be an integer from 1 to 65535") : 'the message names the property, the value and the rule'
assert log.contains("(for example -DwebPort=8000)") : 'the message says how to fix it'
assert !new File(basedir, 'clicks').exists() : 'a failed generation must leave no directory behind'
