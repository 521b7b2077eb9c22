# frozen_string_literal: true

# A small Lambda runtime interface client for Ruby, written for the end-to-end tests.
#
# It has the shape of AWS's own client (the aws_lambda_ric gem, which Lambda's Ruby runtimes
# run), as far as fnshield can tell:
#
#   init    _HANDLER "file.method" (or "file.Module::Class.method") names LAMBDA_TASK_ROOT/file.rb,
#           required (task root first on $LOAD_PATH) BEFORE the first request to the Runtime
#           API; anything it raises, LoadError included, is posted to /init/error as
#           "Init<ExceptionClass>" and the process exits (status 252, the gem's exit(-4)).
#   loop    every request on a connection of its own, made with Net::HTTP as the gem makes
#           them: GET /next (Net::HTTP.new + start, a long read timeout), then Net::HTTP.post of
#           the result to /response or of the error document to /error. The request id comes
#           from Lambda-Runtime-Aws-Request-Id; _X_AMZN_TRACE_ID is set from
#           Lambda-Runtime-Trace-Id; the event is JSON-parsed when the Content-Type says JSON;
#           the handler is called as handler(event:, context:) and its result sent as #to_json.
#           A StandardError from the handler goes to /error and the loop carries on; NameError
#           (NoMethodError included) or a non-standard exception is critical: /error, then exit.
#
# Run as Lambda's bootstrap runs its client: `ruby ruby_ric.rb` with the Lambda environment
# (AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT, ...). An argument, if given, overrides
# _HANDLER (like `aws_lambda_ric function.handler`).

require 'json'
require 'net/http'

$stdout.sync = true

module TestRic
  API_VERSION = '2018-06-01'
  USER_AGENT = "aws-lambda-ruby/#{RUBY_VERSION}-fnshield-e2e"
  LONG_TIMEOUT = 1_000_000 # seconds: a /next waits as long as Lambda has nothing to send

  # What a failure looks like to the Runtime API: the gem's errorType is CLASSIFICATION<Class>.
  class Failure < StandardError
    STANDARD = %w[ArgumentError NoMethodError Exception StandardError NameError LoadError
                  SystemExit SystemStackError].freeze

    attr_reader :original

    def initialize(original, classification = 'Function')
      @original = original
      @classification = classification
      super(original.message)
    end

    def error_type
      "#{@classification}<#{@original.class}>"
    end

    # The header names the type only for Ruby's own classes, as the gem does.
    def header_type
      STANDARD.include?(@original.class.to_s) ? error_type : 'Function<UserException>'
    end

    def document
      trace = (@original.backtrace_locations || []).first(100).map(&:to_s)
      { errorMessage: @original.message, errorType: error_type, stackTrace: trace }.to_json
    end
  end

  class Critical < Failure; end

  # The Runtime API, one connection per request.
  class RuntimeApi
    def initialize(address)
      @base = "http://#{address}/#{API_VERSION}/runtime"
    end

    def next_invocation
      uri = URI("#{@base}/invocation/next")
      http = Net::HTTP.new(uri.host, uri.port)
      http.read_timeout = LONG_TIMEOUT
      resp = http.start { |c| c.get(uri.path, 'User-Agent' => USER_AGENT) }
      raise "GET /next: HTTP #{resp.code}" unless resp.is_a?(Net::HTTPSuccess)

      resp
    end

    def response(request_id, body)
      post("/invocation/#{request_id}/response", body, 'Content-Type' => 'application/json')
    end

    def error(request_id, failure)
      post("/invocation/#{request_id}/error", failure.document,
           'Lambda-Runtime-Function-Error-Type' => failure.header_type)
    end

    def init_error(failure)
      post('/init/error', failure.document,
           'Lambda-Runtime-Function-Error-Type' => failure.header_type)
    end

    private

    def post(path, body, headers)
      resp = Net::HTTP.post(URI(@base + path), body, headers.merge('User-Agent' => USER_AGENT))
      raise "POST #{path}: HTTP #{resp.code}" unless resp.code == '202'

      resp
    end
  end

  # The context object handed to the function (the gem's LambdaContext).
  class Context
    attr_reader :aws_request_id, :invoked_function_arn, :log_group_name, :log_stream_name,
                :function_name, :memory_limit_in_mb, :function_version, :identity,
                :client_context, :deadline_ms

    def initialize(resp)
      @deadline_ms = resp['Lambda-Runtime-Deadline-Ms'].to_i
      @aws_request_id = resp['Lambda-Runtime-Aws-Request-Id']
      @invoked_function_arn = resp['Lambda-Runtime-Invoked-Function-Arn']
      @log_group_name = ENV['AWS_LAMBDA_LOG_GROUP_NAME']
      @log_stream_name = ENV['AWS_LAMBDA_LOG_STREAM_NAME']
      @function_name = ENV['AWS_LAMBDA_FUNCTION_NAME']
      @memory_limit_in_mb = ENV['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']
      @function_version = ENV['AWS_LAMBDA_FUNCTION_VERSION']
      identity = resp['Lambda-Runtime-Cognito-Identity']
      context = resp['Lambda-Runtime-Client-Context']
      @identity = JSON.parse(identity) if identity
      @client_context = JSON.parse(context) if context
    end

    def get_remaining_time_in_millis # rubocop:disable Naming/AccessorMethodName - Lambda's name
      [@deadline_ms - Process.clock_gettime(Process::CLOCK_REALTIME, :millisecond), 0].max
    end
  end

  # _HANDLER: "file.method" or "file.Module::Class.method" (a class-level method).
  class Handler
    attr_reader :file

    def initialize(spec)
      @file, rest = spec.split('.', 2)
      raise ArgumentError, "Bad handler '#{spec}': want FILE.METHOD or FILE.CLASS.METHOD" \
        if @file.to_s.empty? || rest.to_s.empty?

      @klass, _, @method = rest.rpartition('.')
    end

    def call(event, context)
      receiver = @klass.empty? ? self : Object.const_get(@klass)
      receiver.__send__(@method, event: event, context: context)
    end
  end

  def self.event_of(resp)
    resp['Content-Type'] == 'application/json' ? JSON.parse(resp.body) : resp.body
  end

  def self.run(spec)
    api = RuntimeApi.new(ENV.fetch('AWS_LAMBDA_RUNTIME_API'))
    # The clients read the telemetry descriptor and hide it from the function.
    ENV.delete('_LAMBDA_TELEMETRY_LOG_FD')
    task_root = ENV['LAMBDA_TASK_ROOT'] || Dir.pwd
    $LOAD_PATH.unshift(task_root) unless $LOAD_PATH.include?(task_root)
    begin
      handler = Handler.new(spec)
      require handler.file # init: before the first /next
    rescue Exception => e # rubocop:disable Lint/RescueException - the gem reports them all
      failure = Failure.new(e, 'Init')
      warn "[ERROR] #{failure.error_type}: #{e.message}"
      api.init_error(failure)
      exit(-4)
    end

    loop do
      begin
        resp = api.next_invocation
      rescue SignalException
        exit 0
      end
      request_id = resp['Lambda-Runtime-Aws-Request-Id']
      trace_id = resp['Lambda-Runtime-Trace-Id']
      ENV['_X_AMZN_TRACE_ID'] = trace_id if trace_id
      begin
        payload = handler.call(event_of(resp), Context.new(resp)).to_json # serialising is user code
      rescue NameError => e
        api.error(request_id, Critical.new(e))
        exit(-1)
      rescue StandardError => e
        api.error(request_id, Failure.new(e))
        next
      rescue Exception => e # rubocop:disable Lint/RescueException - as the gem does
        api.error(request_id, Critical.new(e))
        exit(-1)
      end
      api.response(request_id, payload) # a failure here is the runtime's: it ends the process
    end
  end
end

TestRic.run(ARGV[0] || ENV.fetch('_HANDLER', ''))
