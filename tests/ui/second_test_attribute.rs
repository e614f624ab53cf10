#[sim::test]
#[test]
async fn doubled() {}

fn main() {}
