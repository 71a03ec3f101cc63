import ArgumentParser

/// How a command prints rows: aligned for a terminal, CSV for a spreadsheet, JSON for a program.
enum TableFormat: String, CaseIterable, ExpressibleByArgument {
    case table, csv, json
}
