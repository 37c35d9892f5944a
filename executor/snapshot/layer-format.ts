// The one place the snapshot tree imports the layer tar format from oci/.
export * from '../../oci/index.ts';
