// An origin with a path: browsers never send one, so it would never match.
def log = new File(basedir, 'build.log').text
assert log.contains('Invalid archetype properties, nothing was generated')
assert log.contains("allowedOrigins='https://www.example.com/': 'https://www.example.com/' is not an origin") : 'the message names the property, the value and the rule'
assert log.contains("(for example -DallowedOrigins=") : 'the message says how to fix it'
assert !new File(basedir, 'clicks').exists() : 'a failed generation must leave no directory behind'
