# The runtime matrix's probe for Ruby (3.1 and later); see probe.py for the protocol:
# `ruby probe.rb checks|workload|start PORT`. Checks write a marker to stderr before the call.
require 'digest'
require 'json'
require 'net/http'
require 'socket'

def marker(name)
  $stderr.syswrite(JSON.generate(matrix: 'check', name: name) + "\n")
end

def report(check, outcome, detail = '')
  $stdout.syswrite(JSON.generate(check: check, outcome: outcome, detail: detail.to_s) + "\n")
end

# The runtime's own error, named: Errno::EACCES (EPERM for a connect) is the refusal the
# policy gives; Errno::ENOENT is Ruby's "not found".
def check(name, refused = Errno::EACCES)
  marker(name)
  report(name, 'ok', yield)
rescue refused => e
  report(name, 'refused', "#{e.class}: #{e.message}")
rescue Errno::ENOENT => e
  report(name, 'not_found', "#{e.class}: #{e.message}")
rescue StandardError => e
  report(name, 'other', "#{e.class}: #{e.message}")
end

def ran(output, status = $?)
  raise "exit #{status.exitstatus}" unless status.success?

  output.to_s.strip
end

def checks(port)
  check('exec_shell:system') { system('/bin/sh', '-c', 'exit 0', exception: true).to_s }
  check('exec_shell:bare name') { system('sh', '-c', 'exit 0', exception: true).to_s }
  check('exec_shell:system(string)') { system('exit 0; true', exception: true).to_s }
  check('exec_shell:spawn') { Process.wait(spawn('/bin/sh', '-c', 'exit 0')); ran('') }
  check('exec_shell:backticks') { ran(`exit 0`) } # a shell builtin: Ruby runs it with /bin/sh
  check('exec_shell:IO.popen') { ran(IO.popen(['/bin/sh', '-c', 'exit 0'], &:read)) }
  check('exec_path_search:system') { system('uname', out: File::NULL, exception: true).to_s }
  check('exec_path_search:backticks') { ran(`uname`) }
  check('exec_missing:spawn') { Process.wait(spawn('fnshield-no-such-program')); ran('') }
  check('exec_missing:system') { system('fnshield-no-such-program', exception: true).to_s }
  check('read_environ:File.read') { File.read('/proc/self/environ'); '' }
  check('read_environ:File.open') { File.open('/proc/self/environ', 'rb', &:read); '' }
  check('connect_loopback:TCPSocket', Errno::EPERM) { TCPSocket.new('127.0.0.1', port).close; '' }
  check('connect_loopback:Net::HTTP', Errno::EPERM) do
    Net::HTTP.get(URI("http://127.0.0.1:#{port}/check"))
  end
  check('write_outside_tmp:File.write') { File.write('/var/tmp/fnshield-matrix-probe', 'x').to_s }
  check('write_outside_tmp:File.open') { File.open('/var/tmp/fnshield-matrix-probe', 'w') { |f| f.write('x') }.to_s }
end

def workload(port)
  result = {}
  result['os_release_lines'] = File.readlines('/etc/os-release').size
  path = "/tmp/fnshield-matrix-rb-#{Process.pid}"
  File.write(path, "payload\n" * 100)
  result['tmp_sha256'] = Digest::SHA256.hexdigest(File.read(path))
  File.unlink(path)
  result['shell'] = ran(`echo hi | tr a-z A-Z`)
  result['uname'] = ran(IO.popen(%w[uname -s], &:read))
  result['http'] = Net::HTTP.get(URI("http://127.0.0.1:#{port}/workload"))
  result['threads'] = 4.times.map do |i|
    Thread.new { (0...2000).sum { |n| Digest::SHA256.digest("#{i}-#{n}").getbyte(0) } }
  end.map(&:value)
  result['json'] = JSON.parse(JSON.generate('a' => [1, 2, { 'b' => nil }]))
  puts JSON.generate(result.sort.to_h)
end

what, port = ARGV[0], ARGV[1].to_i
case what
when 'checks' then checks(port)
when 'workload' then workload(port)
end
