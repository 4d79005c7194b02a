import AttendanceCore

/// The dashboard's two charts, drawn on the server as SVG like the day's timeline: no
/// chart library to download, readable without JavaScript and in print, colours from the
/// stylesheet (dark mode included), each bar a link to its day with its figures as a
/// `<title>` tooltip. The figures ride along as `data-` attributes, exactly. The drawing
/// is written here as one string (`svg`), its text escaped: through the template engine,
/// its some 600 values cost four times the rest of the page.
enum DashboardCharts {
    /// The drawing's size in SVG units; the page scales it to the figure's width.
    static let width = 376.0
    static let height = 180.0
    /// Room for the value labels on the left and the day labels below.
    static let left = 58.0, right = 6.0, top = 8.0, bottom = 156.0
    static let labelY = 174.0

    struct Tick { let y: String; let label: String }

    struct Bar {
        let date: String
        let x, width: String
        /// The stacked parts, bottom up: worked, what an absence excused, what a holiday excused.
        let workedY, workedHeight, absentY, absentHeight, holidayY, holidayHeight: String
        /// The day's scheduled hours as a short line across the bar; nil for a day without.
        let scheduledY: String?
        let effective, expected, absent, holiday: Int
        let title: String
    }

    struct DayLabel {
        let x: String
        let text: String
        /// `middle`, or `end` for a label at the right edge (today's), kept inside.
        var anchor = "middle"
    }

    struct Daily {
        let bars: [Bar]
        let ticks: [Tick]
        let labels: [DayLabel]
        let description: String
        /// The drawing (`markup`), for the template.
        var svg = ""
    }

    struct Marker { let x, y, title: String }

    struct Balance {
        let points: String
        /// The balance of each day drawn, in minutes, and the first day: the line exactly.
        let values: String
        let first: String
        let zeroY: String
        let ticks: [Tick]
        let labels: [DayLabel]
        /// A point at each month's last day drawn, with its balance as a tooltip.
        let markers: [Marker]
        let description: String
        let isEmpty: Bool
        /// The drawing (`markup`), for the template.
        var svg = ""
    }

    /// A step in whole hours giving at most about five ticks over `span` minutes.
    static func hourStep(_ span: Int) -> Int {
        let hours = max(1, Double(span) / 60)
        let step = [1, 2, 4, 8, 12, 24, 48, 100, 200, 500, 1000, 2000, 5000].first { hours / Double($0) <= 5 } ?? 10000
        return step * 60
    }

    /// A coordinate to a tenth, as short as it can be (`12.3`, `7`): by integers, since
    /// the line alone has some 700 of them on the busiest page.
    static func number(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let whole = String(abs(tenths) / 10), fraction = abs(tenths) % 10
        return (tenths < 0 ? "-" : "") + (fraction == 0 ? whole : whole + "." + String(fraction))
    }

    /// The last `days` days through `today`: worked against the day's scheduled hours.
    static func daily(_ ledger: Ledger, today: LocalDate, days: Int) -> Daily {
        let recent = ledger.days(from: today.adding(days: -(days - 1)), to: today)
        let policy = ledger.policy
        let absent = recent.map { policy.base(on: $0.date) - $0.expected }
        let holiday = recent.map { $0.holiday != nil && $0.inPeriod ? policy.schedule.minutes(on: $0.date) : 0 }
        let scheduled = recent.indices.map { recent[$0].expected + absent[$0] + holiday[$0] }
        let highest = max(60, recent.indices.map { recent[$0].effective + absent[$0] + holiday[$0] }.max() ?? 0,
                          scheduled.max() ?? 0)
        let step = hourStep(highest)
        let top = (highest + step - 1) / step * step
        func y(_ minutes: Int) -> Double { bottom - Double(minutes) / Double(top) * (bottom - Self.top) }
        let slot = (width - left - right) / Double(recent.count)
        let barWidth = slot * 0.7
        var bars: [Bar] = []
        for (index, day) in recent.enumerated() {
            let x = left + Double(index) * slot + (slot - barWidth) / 2
            let worked = day.effective, off = absent[index], free = holiday[index]
            var parts = ["\(day.date): worked \(Format.duration(worked))", "expected \(Format.duration(day.expected))"]
            if let absence = day.absence {
                parts.append(AbsencesPage.describe(absence))
            } else if let name = day.holiday, day.inPeriod {
                parts.append("Holiday: \(name)")
            }
            bars.append(Bar(date: day.date.description, x: number(x), width: number(barWidth),
                            workedY: number(y(worked)), workedHeight: number(y(0) - y(worked)),
                            absentY: number(y(worked + off)), absentHeight: number(y(worked) - y(worked + off)),
                            holidayY: number(y(worked + off + free)), holidayHeight: number(y(worked + off) - y(worked + off + free)),
                            scheduledY: scheduled[index] > 0 ? number(y(scheduled[index])) : nil,
                            effective: worked, expected: day.expected, absent: off, holiday: free,
                            title: parts.joined(separator: " · ")))
        }
        let ticks = stride(from: 0, through: top, by: step).map { Tick(y: number(y($0)), label: Format.duration($0)) }
        // A label each week, on the days that are as many days before today as a week is long.
        let labels = recent.indices.filter { (recent.count - 1 - $0) % 7 == 0 }.map {
            $0 == recent.count - 1
                ? DayLabel(x: number(width - right), text: String(recent[$0].date.description.dropFirst(5)), anchor: "end")
                : DayLabel(x: number(left + (Double($0) + 0.5) * slot), text: String(recent[$0].date.description.dropFirst(5)))
        }
        let worked = recent.reduce(0) { $0 + $1.effective }
        var daily = Daily(bars: bars, ticks: ticks, labels: labels,
                          description: "Worked per day from \(recent.first!.date) to \(today): \(Format.duration(worked)) in all")
        daily.svg = daily.markup
        return daily
    }

    /// The cumulative balance of each day of the period from `start` through yesterday.
    static func balance(_ ledger: Ledger, start: LocalDate, yesterday: LocalDate) -> Balance {
        var carry = ledger.balance(asOf: start.adding(days: -1)).balance
        let days = start <= yesterday ? ledger.days(from: start, to: yesterday).filter(\.inPeriod) : []
        let values = days.map { day -> Int in
            carry += day.effective - day.expected + (ledger.bookings[day.date] ?? 0)
            return carry
        }
        guard let first = days.first, let last = days.last else {
            var empty = Balance(points: "", values: "", first: "", zeroY: number(bottom), ticks: [], labels: [], markers: [],
                                description: "No complete day in the period yet", isEmpty: true)
            empty.svg = empty.markup
            return empty
        }
        let low = min(0, values.min()!), high = max(0, values.max()!)
        let step = hourStep(max(60, high - low))
        let floor = Int((Double(low) / Double(step)).rounded(.down)) * step
        let ceiling = Int((Double(high) / Double(step)).rounded(.up)) * step
        let span = Double(max(step, ceiling - floor))
        func y(_ minutes: Int) -> Double { bottom - Double(minutes - floor) / span * (bottom - top) }
        let slot = (width - left - right) / Double(max(1, values.count - 1))
        func x(_ index: Int) -> Double { values.count == 1 ? (left + width - right) / 2 : left + Double(index) * slot }
        let points = values.indices.map { number(x($0)) + "," + number(y(values[$0])) }.joined(separator: " ")
        let ticks = stride(from: floor, through: ceiling, by: step).map { Tick(y: number(y($0)), label: Format.signed($0)) }
        // Each month's last day drawn gets a point; its first day a label, where there is room.
        var markers: [Marker] = []
        var labels: [DayLabel] = []
        var lastLabel = -Double.infinity
        for (index, day) in days.enumerated() {
            if index == days.count - 1 || days[index + 1].date.month != day.date.month {
                markers.append(Marker(x: number(x(index)), y: number(y(values[index])),
                                      title: "Balance on \(day.date): \(Format.signed(values[index]))"))
            }
            // (not so near the right edge that the name would be cut)
            if index == 0 || day.date.day == 1, x(index) - lastLabel >= 30, x(index) <= width - right - 12 {
                labels.append(DayLabel(x: number(x(index)), text: monthNames[day.date.month - 1],
                                       anchor: index == 0 ? "start" : "middle"))
                lastLabel = x(index)
            }
        }
        var line = Balance(points: points, values: values.map(String.init).joined(separator: ","), first: first.date.description,
                           zeroY: number(y(0)), ticks: ticks, labels: labels, markers: markers,
                           description: "Balance from \(first.date) to \(last.date): \(Format.signed(values.last!)) at the end",
                           isEmpty: false)
        line.svg = line.markup
        return line
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}

extension DashboardCharts {
    /// Text for an element or an attribute value.
    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static func grid(_ ticks: [Tick]) -> String {
        ticks.map { #"<line class="grid" x1="58" x2="370" y1="\#($0.y)" y2="\#($0.y)"></line><text class="value" x="53" y="\#($0.y)" dy="4" text-anchor="end">\#(escaped($0.label))</text>"# }.joined()
    }

    static func labels(_ labels: [DayLabel]) -> String {
        labels.map { #"<text class="day" x="\#($0.x)" y="174" text-anchor="\#($0.anchor)">\#(escaped($0.text))</text>"# }.joined()
    }
}

extension DashboardCharts.Daily {
    /// What goes inside `<svg id="daily-chart">` after its `<title>`.
    var markup: String {
        DashboardCharts.grid(ticks) + bars.map { bar in
            var out = #"<a href="/days/\#(bar.date)"><g class="bar" data-date="\#(bar.date)" data-effective="\#(bar.effective)" data-expected="\#(bar.expected)" data-absent="\#(bar.absent)" data-holiday="\#(bar.holiday)"><title>\#(DashboardCharts.escaped(bar.title))</title>"#
            out += #"<rect class="hit" x="\#(bar.x)" y="8" width="\#(bar.width)" height="148"></rect>"#
            out += #"<rect class="worked" x="\#(bar.x)" y="\#(bar.workedY)" width="\#(bar.width)" height="\#(bar.workedHeight)"></rect>"#
            out += #"<rect class="absent" x="\#(bar.x)" y="\#(bar.absentY)" width="\#(bar.width)" height="\#(bar.absentHeight)"></rect>"#
            out += #"<rect class="holiday" x="\#(bar.x)" y="\#(bar.holidayY)" width="\#(bar.width)" height="\#(bar.holidayHeight)"></rect>"#
            if let scheduled = bar.scheduledY {
                out += #"<rect class="scheduled" x="\#(bar.x)" y="\#(scheduled)" width="\#(bar.width)" height="2.5" transform="translate(0 -1.25)"></rect>"#
            }
            return out + "</g></a>"
        }.joined() + DashboardCharts.labels(labels)
    }
}

extension DashboardCharts.Balance {
    /// What goes inside `<svg id="balance-chart">` after its `<title>`.
    var markup: String {
        guard !isEmpty else {
            return #"<text class="value" x="188" y="90" text-anchor="middle">\#(DashboardCharts.escaped(description))</text>"#
        }
        return DashboardCharts.grid(ticks)
            + #"<line class="zero" x1="58" x2="370" y1="\#(zeroY)" y2="\#(zeroY)"></line>"#
            + #"<polyline class="balance" points="\#(points)" data-first="\#(first)" data-values="\#(values)"></polyline>"#
            + markers.map { #"<circle class="marker" cx="\#($0.x)" cy="\#($0.y)" r="3"><title>\#(DashboardCharts.escaped($0.title))</title></circle>"# }.joined()
            + DashboardCharts.labels(labels)
    }
}
