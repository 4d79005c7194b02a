/// A form's messages, each beside one of the form's own inputs (`Slot`). A page maps
/// every `Field` to a slot with an exhaustive `switch`: the compiler makes sure each
/// field a validator can name has a place on every form.
struct FormErrors<Slot: Hashable> {
    private var messages: [Slot: String] = [:]
    let slot: (Field) -> Slot

    init(_ slot: @escaping (Field) -> Slot) { self.slot = slot }

    mutating func add(_ error: ValidationError) { messages[slot(error.field)] = error.message }

    mutating func add(_ message: String, at slot: Slot) { messages[slot] = message }

    subscript(_ slot: Slot) -> String? { messages[slot] }

    var isEmpty: Bool { messages.isEmpty }
}
