use faasport::prelude::*;

// The event type is not an event, and the context is missing.
async fn not_a_handler(order: u32) -> Result<(), Error> {
    let _ = order;
    Ok(())
}

fn main() {
    let _ = Function::new("f", not_a_handler);
}
