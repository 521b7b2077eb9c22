# frozen_string_literal: true

# The Ruby test function (handler: function.handler), the same actions as the Python one
# (functions/python/handler.py): echo, whoami, exec (/usr/bin/id -u), read {path},
# connect {port}, child_read {path} (/usr/bin/cat PATH), threads {n, path}, init_result, fail.
# A blocked call shows as {"ok": false, "code": "EACCES" | "EPERM", "errno": N}: Ruby raises
# Errno::EACCES / Errno::EPERM (SystemCallError) for it. At require time (init) the actions in
# E2E_INIT_ACTIONS (JSON) run, before the runtime client asks for the first invocation.

require 'json'
require 'open3'
require 'socket'

def failure(err)
  res = { ok: false, error: err.class.name }
  if err.is_a?(SystemCallError)
    res[:errno] = err.errno
    res[:code] = err.class.name.split('::').last
  end
  res
end

# Open3 spawns the program (fork + exec in Ruby 3.1); a refused exec raises in the parent.
def run_program(*argv)
  _out, _err, status = Open3.capture3(*argv, stdin_data: '')
  yield status.exitstatus
rescue SystemCallError => e
  failure(e)
end

def do_exec
  run_program('/usr/bin/id', '-u') { |rc| { ok: true, rc: rc } }
end

def do_child_read(path)
  run_program('/usr/bin/cat', path) { |rc| { ok: rc.zero?, rc: rc } }
end

def do_read(path)
  { ok: true, bytes: File.binread(path).bytesize }
rescue SystemCallError => e
  failure(e)
end

def do_connect(port)
  Socket.tcp('127.0.0.1', Integer(port), connect_timeout: 5) { nil }
  { ok: true }
rescue SystemCallError => e
  failure(e)
end

def do_threads(count, path)
  ready = Queue.new
  go = Queue.new
  threads = Array.new(count) do |i|
    Thread.new do
      ready << i
      go.pop
      do_read("#{path}-#{i}")
    end
  end
  count.times { ready.pop }
  count.times { go << true }
  results = threads.map(&:value)
  { ok: results.all? { |r| r[:ok] }, results: results }
end

def perform(event, context = nil)
  case event['action']
  when 'echo' then event
  when 'whoami'
    { requestId: context&.aws_request_id, traceEnv: ENV['_X_AMZN_TRACE_ID'],
      function: context&.function_name }
  when 'exec' then do_exec
  when 'read' then do_read(event['path'])
  when 'connect' then do_connect(event['port'])
  when 'child_read' then do_child_read(event['path'])
  when 'threads' then do_threads(Integer(event['n']), event['path'])
  when 'init_result' then INIT_RESULTS
  when 'fail' then raise event.fetch('message', 'failed on purpose')
  else { ok: false, error: "unknown action #{event['action'].inspect}" }
  end
end

# ---- init: runs when the runtime requires this file, before the first invocation -------------
INIT_RESULTS = JSON.parse(ENV.fetch('E2E_INIT_ACTIONS', '').then { |s| s.empty? ? '[]' : s })
                   .map { |action| perform(action) }

def handler(event:, context:)
  perform(event, context)
end
