use faasport::prelude::*;

async fn takes_a_number(_n: u32, _cx: Context) -> Result<(), Error> {
    Ok(())
}

fn main() {
    let _ = Function::new("f", takes_a_number);
}
