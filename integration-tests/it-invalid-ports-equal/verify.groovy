// Two listeners on one port.
def log = new File(basedir, 'build.log').text
assert log.contains('Invalid archetype properties, nothing was generated')
assert log.contains("kafkaInsidePort='9092': the same port as kafkaOutsidePort; every port must be different") : 'the message names the property, the value and the rule'
assert log.contains("choose another -DkafkaInsidePort") : 'the message says how to fix it'
assert !new File(basedir, 'clicks').exists() : 'a failed generation must leave no directory behind'
