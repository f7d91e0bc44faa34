# Runs Heckler's report processor (heckler_bot_r1) on a hand-built report holding what real runs
# rarely show on demand: bytes that are not UTF-8 (a BINARY string, a Latin-1 one) and a 100 KB value.
#   ruby processor-encoding.rb <scratch dir> <processor module lib dir> <output json>
require 'puppet'

dir, lib, out = ARGV
Puppet.initialize_settings(['--vardir', "#{dir}/var", '--confdir', "#{dir}/conf"])
$LOAD_PATH.unshift(lib)
report = Puppet::Transaction::Report.new(nil, 'production')
status = Puppet::Resource::Status.new(Puppet::Type.type(:file).new(title: '/data/latin1'))
status.add_event(Puppet::Transaction::Event.new(
  property: 'content', previous_value: "caf\xE9".b, desired_value: 'x' * 100_000,
  status: 'noop', message: "bad \xFF bytes".b, name: :content_changed
))
report.add_resource_status(status)
report << Puppet::Util::Log.new(
  level: :notice, message: "log caf\xE9".force_encoding('ISO-8859-1'), source: '/File[/data/latin1]/content'
)
report.finalize_report
ENV['HECKLER_REPORT_OUT'] = out
report.extend(Puppet::Reports.report(:heckler_bot_r1))
report.process
