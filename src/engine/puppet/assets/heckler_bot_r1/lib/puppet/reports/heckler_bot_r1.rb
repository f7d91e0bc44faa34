# frozen_string_literal: true

# Heckler's report processor. The bot copies this module next to its checkout on every node, puts
# it first on --modulepath and runs `puppet apply --reports heckler_bot_r1` with HECKLER_REPORT_OUT
# set. Instead of shipping the multi-megabyte YAML report over SSH, the node writes a few kilobytes
# of JSON: run metadata, the resources that changed, failed or were talked about, and logs of level
# notice and above. Every string is valid UTF-8 (bad bytes replaced) and capped in size, so the
# bot's JSON parser never chokes on a binary file diff.
#
# The name is one no Puppet repository uses: Puppet loads the first puppet/reports/<name>.rb it
# finds on the modulepath, and repositories of the old Heckler daemon vendor their own `heckler`.
# The bot refuses a checkout that ships a file of this name (command.ts).
#
# Helpers are methods of the processor (prefixed heckler_, because Puppet mixes the processor into
# the report object) rather than constants, since Puppet may load this file more than once.

require 'json'
require 'puppet'

Puppet::Reports.register_report(:heckler_bot_r1) do
  desc 'Writes a compact JSON summary of the run to $HECKLER_REPORT_OUT (for the Heckler bot).'

  def process
    out = ENV.fetch('HECKLER_REPORT_OUT', '')
    return Puppet.warning('heckler report: HECKLER_REPORT_OUT is not set; nothing written') if out.empty?

    data = begin
      heckler_reduce
    rescue StandardError => e
      # A processor exception would only be logged by Puppet; an error entry tells the bot why.
      { 'format' => 1, 'error' => heckler_text("#{e.class}: #{e.message}") }
    end
    # Written next to the target and renamed, so the bot never reads half a report.
    tmp = "#{out}.#{Process.pid}.tmp"
    File.open(tmp, 'w', 0o600) { |file| file.write(JSON.generate(data)) }
    File.rename(tmp, out)
  end

  def heckler_reduce
    kept_logs = logs.select { |log| heckler_levels.include?(log.level) }
    sources = kept_logs.map { |log| log.source.to_s }
    {
      'format' => 1,
      'host' => heckler_text(host),
      'environment' => heckler_text(environment),
      'status' => heckler_text(status),
      'noop' => noop ? true : false,
      'noop_pending' => noop_pending ? true : false,
      'transaction_completed' => transaction_completed ? true : false,
      'configuration_version' => heckler_value(configuration_version),
      'puppet_version' => heckler_text(puppet_version),
      'time' => time.respond_to?(:iso8601) ? time.iso8601(3) : heckler_text(time),
      'timing' => heckler_metrics('time', %w[total config_retrieval]),
      'resources' => heckler_metrics('resources'),
      'events' => heckler_metrics('events'),
      'resource_statuses' => heckler_statuses(sources),
      'logs' => kept_logs.map { |log| heckler_log(log) },
    }
  end

  # Only resources with events, failures, or a notice-or-louder log about them (e.g. an Exec's
  # "Would have triggered 'refresh'", or "Skipping because of failed dependencies").
  def heckler_statuses(sources)
    by_path = {}
    sources.each do |source|
      by_path[source] = true
      # Property logs are sourced ".../File[/x]/content": the resource's path is the prefix.
      by_path[source.sub(%r{/[^/\[\]]+\z}, '')] = true
    end
    resource_statuses.values.select do |rs|
      !rs.events.empty? || rs.failed || rs.failed_to_restart || by_path[rs.source_description.to_s]
    end.map { |rs| heckler_status(rs) }
  end

  def heckler_status(rs)
    {
      'resource' => heckler_text(rs.resource),
      'type' => heckler_text(rs.resource_type),
      'title' => heckler_text(rs.title),
      'path' => heckler_text(rs.source_description),
      'file' => heckler_value(rs.file),
      'line' => rs.line.is_a?(Integer) ? rs.line : nil,
      'containment_path' => Array(rs.containment_path).map { |entry| heckler_text(entry) },
      'failed' => rs.failed ? true : false,
      'failed_to_restart' => rs.failed_to_restart ? true : false,
      'skipped' => rs.skipped ? true : false,
      'changed' => rs.changed ? true : false,
      'out_of_sync' => rs.out_of_sync ? true : false,
      'corrective_change' => rs.corrective_change ? true : false,
      'events' => rs.events.map { |event| heckler_event(event) },
    }
  end

  def heckler_event(event)
    {
      'property' => heckler_value(event.property),
      'previous_value' => heckler_value(event.previous_value),
      'desired_value' => heckler_value(event.desired_value),
      'status' => heckler_value(event.status),
      'message' => heckler_value(event.message),
      'name' => heckler_value(event.name),
      'audited' => event.audited ? true : false,
      'corrective_change' => event.corrective_change ? true : false,
      'redacted' => event.redacted ? true : false,
    }
  end

  def heckler_log(log)
    {
      'level' => log.level.to_s,
      'message' => heckler_text(log.message),
      'source' => heckler_text(log.source),
      'file' => heckler_value(log.file),
      'line' => log.line.is_a?(Integer) ? log.line : nil,
    }
  end

  # name => number for each value of a metric ({"total" => 11, "out_of_sync" => 1, …}).
  def heckler_metrics(name, only = nil)
    metric = metrics[name]
    return {} unless metric

    metric.values.each_with_object({}) do |(key, _label, value), hash|
      next if only && !only.include?(key.to_s)

      hash[heckler_text(key)] = value if value.is_a?(Numeric) && value.to_f.finite?
    end
  end

  def heckler_levels
    %i[notice warning err alert emerg crit]
  end

  # nil stays null; strings stay themselves (a file checksum arrives as a BINARY string, which
  # Puppet's own stringifier would turn into base64); arrays and hashes are shown as Puppet shows
  # them in event messages (['a', 'b']).
  def heckler_value(value)
    case value
    when nil then nil
    when String then heckler_text(value)
    when Symbol, Numeric, true, false then heckler_text(value.to_s)
    else
      begin
        heckler_text(Puppet::Parameter.format_value_for_display(value))
      rescue StandardError
        heckler_text(value.inspect)
      end
    end
  end

  def heckler_text(value, limit = 65_536)
    text = value.is_a?(String) ? value : value.to_s
    text = heckler_utf8(text)
    return text if text.bytesize <= limit

    # Cut on a character boundary and say so: nothing is dropped silently.
    "#{text.byteslice(0, limit).scrub('')}\n[heckler: truncated #{text.bytesize - limit} more bytes]"
  end

  def heckler_utf8(text)
    if [Encoding::UTF_8, Encoding::BINARY, Encoding::US_ASCII].include?(text.encoding)
      return text.dup.force_encoding(Encoding::UTF_8).scrub("\uFFFD")
    end

    text.encode(Encoding::UTF_8, invalid: :replace, undef: :replace, replace: "\uFFFD")
  rescue StandardError
    text.dup.force_encoding(Encoding::UTF_8).scrub("\uFFFD")
  end
end
