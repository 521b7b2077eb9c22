# frozen_string_literal: true

# fnshield integration probe for Ruby (CRuby 3.1, /usr/bin/ruby).
#
# Usage: ruby probe.rb CASE [ARGS...]
#
# Performs exactly one action (the case), then prints one JSON result line to stdout
# ({"ok": true, ...} or {"ok": false, "error": CLASS, "errno": N, "code": "EACCES", ...}) and then
# {"after": true} to prove that the process carries on after a blocked call. Exit status is 0
# whatever happened to the action (a non-zero status means the probe itself broke).
#
# Argument conventions (set by the tests, as for probe.py):
#   exec cases:            none (the program run is `id`, found by PATH search: /usr/bin/id)
#   read/write cases:      DIR NAME  (the file is DIR/NAME)
#   connect/listen cases:  PORT      (the host is 127.0.0.1 unless the case says otherwise)
#   missing-program cases: the program's name or path

require 'json'
require 'net/http'
require 'open3'
require 'socket'

CASES = {}

def rb_case(name, &blk)
  CASES[name] = blk
end

def out(obj)
  $stdout.write("#{JSON.generate(obj)}\n")
  $stdout.flush
end

def err_result(err)
  res = { ok: false, error: err.class.name, message: err.message }
  if err.is_a?(SystemCallError)
    res[:errno] = err.errno
    res[:code] = err.class.name.split('::').last
  end
  res
end

# What a Process::Status says: rc is the exit status (127: Ruby's child could not exec).
def status_result(status, **extra)
  rc = status.exitstatus
  { ok: rc&.zero? || false, rc: rc }.merge(extra)
end

# system returns true, false (the program ran and failed) or nil (it could not be run: $? says
# 127). "returned" keeps which.
def system_result(ret)
  status_result($?, returned: ret.inspect)
end

def path(dir, name)
  File.join(dir, name)
end

NULL = File::NULL

# ---------------------------------------------------------------- exec (program: id) ---------
rb_case('system_string') { system_result(system('id', out: NULL)) }
rb_case('system_args') { system_result(system('id', '-u', out: NULL)) }
rb_case('system_array') { system_result(system(%w[id id], out: NULL)) }
rb_case('system_exception') { system_result(system('id', out: NULL, exception: true)) }
# A shell metacharacter: Ruby runs /bin/sh -c, and the shell runs id.
rb_case('system_shell') { system_result(system('id >/dev/null')) }
rb_case('spawn') { status_result(Process.wait2(spawn('id', out: NULL)).last) }
rb_case('process_spawn') { status_result(Process.wait2(Process.spawn('id', out: NULL)).last) }
rb_case('backticks') do
  `id`
  status_result($?)
end
rb_case('percent_x') do
  %x(id)
  status_result($?)
end
rb_case('backticks_shell') do
  `id 2>/dev/null; exit $?`
  status_result($?)
end
rb_case('io_popen_string') do
  IO.popen('id', &:read)
  status_result($?)
end
rb_case('io_popen_array') do
  IO.popen(['id'], &:read)
  status_result($?)
end
rb_case('open3_capture2') { status_result(Open3.capture2('id').last) }
# exec in a forked child (Ruby code runs in the child): the child reports exec's errno as its
# exit status 200+errno, which is mapped back here.
rb_case('fork_exec') do
  pid = fork do
    $stdout.reopen(NULL, 'w')
    exec('id')
  rescue SystemCallError => e
    exit!(200 + e.errno)
  rescue Exception # rubocop:disable Lint/RescueException - anything else: say so
    exit!(199)
  end
  status = Process.wait2(pid).last
  rc = status.exitstatus
  if rc && rc >= 200
    err = SystemCallError.new(nil, rc - 200)
    err_result(err).merge(child_pid: pid)
  else
    status_result(status, child_pid: pid)
  end
end

# A program that is not there: Ruby searches PATH itself (or execs the absolute path given).
rb_case('missing_spawn') { |prog| status_result(Process.wait2(spawn(prog)).last) }
rb_case('missing_system') { |prog| system_result(system(prog)) }
rb_case('missing_backticks') do |prog|
  `#{prog}`
  status_result($?)
end

# ---------------------------------------------------------------- read ------------------------
rb_case('file_read') { |dir, name| { ok: true, bytes: File.read(path(dir, name)).bytesize } }
rb_case('file_binread') { |dir, name| { ok: true, bytes: File.binread(path(dir, name)).bytesize } }
rb_case('file_open_r') do |dir, name|
  { ok: true, bytes: File.open(path(dir, name)) { |f| f.read.bytesize } }
end
rb_case('file_foreach') do |dir, name|
  { ok: true, lines: File.foreach(path(dir, name)).count }
end
rb_case('proc_environ') { { ok: true, bytes: File.read('/proc/self/environ').bytesize } }

# ---------------------------------------------------------------- write -----------------------
rb_case('file_open_w') do |dir, name|
  File.open(path(dir, name), 'w') { |f| f.write("new\n") }
  { ok: true }
end
rb_case('file_open_a') do |dir, name|
  File.open(path(dir, name), 'a') { |f| f.write("more\n") }
  { ok: true }
end
rb_case('file_write') { |dir, name| { ok: true, bytes: File.write(path(dir, name), "new\n") } }

# ---------------------------------------------------------------- connect ---------------------
rb_case('tcpsocket_new') do |port|
  TCPSocket.new('127.0.0.1', Integer(port)).close
  { ok: true }
end
rb_case('tcpsocket_new_ipv6') do |port|
  TCPSocket.new('::1', Integer(port)).close
  { ok: true }
end
rb_case('tcpsocket_new_name') do |port|
  TCPSocket.new('localhost', Integer(port)).close
  { ok: true }
end
# A non-blocking connect with a timeout: connect (EINPROGRESS), wait, connect again (0).
rb_case('socket_tcp') do |port|
  Socket.tcp('127.0.0.1', Integer(port), connect_timeout: 5, &:close)
  { ok: true }
end
rb_case('net_http_get') do |port|
  { ok: true, body: Net::HTTP.get(URI("http://127.0.0.1:#{port}/")) }
end
rb_case('udp_send') do |port|
  sock = UDPSocket.new
  { ok: true, bytes: sock.send('x', 0, '127.0.0.1', Integer(port)) }
ensure
  sock&.close
end

# ---------------------------------------------------------------- listen ----------------------
rb_case('tcpserver_new') do |port|
  TCPServer.new('127.0.0.1', Integer(port)).close
  { ok: true }
end
rb_case('udp_bind') do |port|
  sock = UDPSocket.new
  sock.bind('127.0.0.1', Integer(port))
  { ok: true }
ensure
  sock&.close
end

def main
  name = ARGV.shift
  unless CASES.key?(name)
    out({ ok: false, error: 'UnknownCase', case: name })
    out({ after: true })
    return 2
  end
  res = begin
    CASES[name].call(*ARGV)
  rescue StandardError => e # the blocked call's exception, reported, not raised
    err_result(e)
  end
  res[:pid] ||= Process.pid
  out(res)
  out({ after: true })
  0
end

exit(main)
